// templates/NOTES.txt of the Helm chart: what Helm prints after install and upgrade — how to check
// the operator, apply a first model (the demo's sample, kind/samples/gemma.yaml), see it with
// `kubectl get lm -o wide`, open Jaeger and run `helm test`.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JAEGER_PORTS, JAEGER_SERVICE } from './jaeger-config.js';

const SAMPLE = 'kind/samples/gemma.yaml';

function sampleText(): string {
  const file = [`../${SAMPLE}`, `../../${SAMPLE}`]
    .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
    .find((path) => existsSync(path));
  if (!file) throw new Error(`Helm NOTES.txt: ${SAMPLE} not found`);
  // The sample's own comments explain the demo; the notes keep the object.
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n')
    .trim();
}

/** The NOTES.txt template; `operatorDeployment` is the operator Deployment's name; `escapeText` Helm-escapes literal text. */
export function helmNotes(operatorDeployment: string, escapeText: (text: string) => string): string {
  const sample = escapeText(sampleText());
  const namespaceLine = /^ {2}namespace: (\S+)$/m.exec(sample);
  const modelNamespace = namespaceLine?.[1] ?? 'default';
  return `kubellama {{ .Chart.AppVersion }} is installed in namespace {{ .Release.Namespace }}.
{{- if .Values.operator.enabled }}

Wait for the operator:
  kubectl -n {{ .Release.Namespace }} rollout status deployment/${operatorDeployment}
{{- end }}

Apply a first model (Gemma 3 270M on the CPU, downloaded from Hugging Face; ${SAMPLE}):
  kubectl create namespace ${modelNamespace}
  kubectl apply -f - <<'YAML'
${sample}
YAML
  kubectl get lm -n ${modelNamespace} -o wide      # phase, ready replicas, endpoint
{{- if .Values.jaeger.enabled }}

Open Jaeger (one trace per request):
  kubectl -n {{ .Release.Namespace }} port-forward svc/${JAEGER_SERVICE} ${JAEGER_PORTS.query}:${JAEGER_PORTS.query}
  then browse http://localhost:${JAEGER_PORTS.query}
{{- end }}
{{- if and .Values.otelCollector.enabled .Values.jaeger.enabled }}

Check the install (one span through the collector into Jaeger):
  helm test {{ .Release.Name }} -n {{ .Release.Namespace }}
{{- end }}
`;
}
