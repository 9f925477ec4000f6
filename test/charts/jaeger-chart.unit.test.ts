import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ChartPropsError } from '../../charts/chart-props-error.js';
import { IMAGES } from '../../charts/images.js';
import { JaegerChart, type JaegerChartProps } from '../../charts/jaeger.js';
import type { Manifest } from './helpers/manifest.js';

function synth(props: JaegerChartProps = {}): Manifest[] {
  return Testing.synth(new JaegerChart(Testing.app(), 'jaeger', props)) as Manifest[];
}

describe('JaegerChart', () => {
  it('stores in memory by default, with the UI and OTLP on its Service', () => {
    const objects = synth();
    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'ConfigMap', 'Service', 'Deployment']);
    const config = parse(objects[1]?.data['config.yaml']);
    expect(config.extensions.jaeger_storage.backends.traces).toEqual({ memory: { max_traces: 100_000 } });
    expect(objects[2]?.spec.ports.map((p: { port: number }) => p.port)).toEqual([16686, 4317, 4318]);
    const container = objects[3]?.spec.template.spec.containers[0];
    expect(container.image).toBe(IMAGES.jaeger);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/status', port: 'health' });
  });

  it('stores with badger on a PVC mounted where the config points', () => {
    const objects = synth({
      storage: { type: 'badger', size: '20Gi', storageClassName: 'fast', ttl: '24h' },
    });
    const pvc = objects.find((o) => o.kind === 'PersistentVolumeClaim');
    expect(pvc?.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '20Gi' } },
      storageClassName: 'fast',
    });
    const config = parse(objects.find((o) => o.kind === 'ConfigMap')?.data['config.yaml']);
    const badger = config.extensions.jaeger_storage.backends.traces.badger;
    expect(badger.ttl).toEqual({ spans: '24h' });
    const deployment = objects.find((o) => o.kind === 'Deployment');
    expect(deployment?.spec.strategy.type).toBe('Recreate');
    const mount = deployment?.spec.template.spec.containers[0].volumeMounts.find(
      (m: { name: string }) => m.name === 'data',
    );
    expect(badger.directories.keys.startsWith(`${mount.mountPath}/`)).toBe(true);
    expect(deployment?.spec.template.spec.securityContext.fsGroup).toBeGreaterThan(0);
  });

  it.each([
    [{ storage: { type: 'badger', size: 'big' } }, 'storage.size'],
    [{ storage: { type: 'badger', ttl: '3 days' } }, 'storage'],
    [{ storage: { type: 'memory', maxTraces: 0 } }, 'storage.maxTraces'],
    [{ storage: { type: 'cassandra' } }, 'storage.type'],
    [{ image: 'jaegertracing/jaeger:latest' }, 'image'],
  ] as [JaegerChartProps, string][])('refuses %j naming the field', (props, field) => {
    expect(() => synth(props)).toThrow(ChartPropsError);
    expect(() => synth(props)).toThrow(new RegExp(`^${field.replace(/\./g, '\\.')}: `));
  });
});
