// HelmTemplater: template text lands where the token stood (value, map key, list item), indented
// there; a templated path the objects lost, or a sentinel found twice, stops the chart's generation.
// test/charts/helm-chart.test.ts renders the results with the real helm.
import { Yaml } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { HelmTemplater } from '../../charts/helm-templater.js';

describe('HelmTemplater', () => {
  it('puts template text at the paths of the tokens, with their indentation', () => {
    const t = new HelmTemplater();
    const object = {
      spec: {
        replicas: t.value('int64 .Values.replicas'),
        [t.optionalKey('nodeSelector', '.Values.nodeSelector')]: null,
        [t.optionalKey('imagePullPolicy', '.Values.pullPolicy', true)]: null,
        resources: t.yamlValue('.Values.resources'),
        annotations: { a: 'b', [t.mapEntries('.Values.podAnnotations')]: null },
        env: [{ name: 'A', value: 'x' }, t.optionalEnv('LOG_LEVEL', '.Values.logLevel')],
      },
    };
    const [text] = t.render(Yaml.stringify(object));
    expect(text).toBe(
      [
        'spec:',
        '  replicas: {{ int64 .Values.replicas }}',
        '  {{- with .Values.nodeSelector }}',
        '  nodeSelector:{{- toYaml . | nindent 4 }}',
        '  {{- end }}',
        '  {{- with .Values.pullPolicy }}',
        '  imagePullPolicy: {{ . }}',
        '  {{- end }}',
        '  resources: {{- toYaml .Values.resources | nindent 4 }}',
        '  annotations:',
        '    a: b',
        '    {{- with .Values.podAnnotations }}',
        '    {{- toYaml . | nindent 4 }}',
        '    {{- end }}',
        '  env:',
        '    - name: A',
        '      value: x',
        '    {{- with .Values.logLevel }}',
        '    - name: LOG_LEVEL',
        '      value: {{ . | quote }}',
        '    {{- end }}',
        '',
      ].join('\n'),
    );
  });

  it('replaces literals everywhere, also inside other texts (configs)', () => {
    const t = new HelmTemplater();
    t.literal('sentinel-ns', '$.Release.Namespace');
    t.literal('987654', 'int64 $.Values.max', true);
    const [objects, config] = t.render(
      'namespace: sentinel-ns\n',
      'endpoint: a.sentinel-ns.svc\nmax: 987654\n',
    );
    expect(objects).toBe('namespace: {{ $.Release.Namespace }}\n');
    expect(config).toBe('endpoint: a.{{ $.Release.Namespace }}.svc\nmax: {{ int64 $.Values.max }}\n');
  });

  it('refuses a token the objects lost and a once-only sentinel found twice', () => {
    const lost = new HelmTemplater();
    const token = lost.yamlValue('.Values.resources');
    expect(() => lost.render('spec: {}\n')).toThrow(`${token} not found in the objects`);
    const twice = new HelmTemplater();
    twice.literal('987654', '.Values.max', true);
    expect(() => twice.render('a: 987654\nb: 987654\n')).toThrow('"987654" occurs 2 times, expected once');
    const value = new HelmTemplater();
    value.value('.Values.x');
    expect(() => value.render('a: 1\n')).toThrow('occurs 0 times, expected once');
  });
});
