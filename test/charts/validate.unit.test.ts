import { describe, expect, it } from 'vitest';
import { ChartPropsError } from '../../charts/chart-props-error.js';
import {
  checkImage,
  checkQuantity,
  checkRegistry,
  imageTag,
  isOtlpGrpcEndpoint,
} from '../../charts/validate.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('prop checks', () => {
  it.each([
    'docker.io/jaegertracing/jaeger:2.13.0',
    'localhost:5000/kubellama/otelcol:0.165.0',
    `ghcr.io/kubellama/runtime@${DIGEST}`,
    `ghcr.io/kubellama/runtime:0.1.0@${DIGEST}`,
  ])('accepts the pinned image %s', (image) => {
    expect(checkImage('image', image)).toBe(image);
  });

  it.each(['jaegertracing/jaeger', 'localhost:5000/kubellama/otelcol', 'jaeger:latest', 'UPPER/case:1'])(
    'refuses the unpinned or malformed image %s',
    (image) => {
      expect(() => checkImage('jaeger.image', image)).toThrow(ChartPropsError);
      expect(() => checkImage('jaeger.image', image)).toThrow(/^jaeger\.image: .* Give a tag/);
    },
  );

  it('reads the tag for the version label, ignoring registry ports and digests', () => {
    expect(imageTag('localhost:5000/otelcol:0.165.0')).toBe('0.165.0');
    expect(imageTag(`ghcr.io/kubellama/runtime:0.1.0@${DIGEST}`)).toBe('0.1.0');
    expect(imageTag(`ghcr.io/kubellama/runtime@${DIGEST}`)).toBeUndefined();
    // Neither tag nor digest: what a container runtime pulls.
    expect(imageTag('localhost:5000/kubellama/runtime')).toBe('latest');
  });

  it('accepts OTLP/gRPC endpoints as http(s)://HOST[:PORT] only', () => {
    for (const ok of ['http://otel:4317', 'https://otel.ns.svc:4317/', 'http://[::1]:4317', 'http://otel'])
      expect(isOtlpGrpcEndpoint(ok), ok).toBe(true);
    for (const bad of ['otel:4317', 'http://otel:4318/v1/traces', 'grpc://otel:4317', 'http:// otel', ''])
      expect(isOtlpGrpcEndpoint(bad), bad).toBe(false);
  });

  it('accepts Kubernetes quantities and refuses the rest', () => {
    for (const q of ['500m', '1', '0.5', '256Mi', '1Gi', '1e3', '2k', '1e-9', '5E18', '+1'])
      expect(checkQuantity('q', q)).toBe(q);
    for (const q of ['1 Gi', 'lots', '-1', '-.0', '1GB', '', '.0E.0', '1e1.5', '2575e6808997128', '1e100'])
      expect(() => checkQuantity('q', q)).toThrow(/^q: /);
  });

  it('accepts a registry with a port and a path, and refuses schemes, tags and upper case', () => {
    for (const r of ['localhost:5000/kubellama', 'ghcr.io/kubellama', 'kind.local', 'registry.local/team/'])
      expect(checkRegistry('--registry', r)).toBe(r);
    for (const r of ['https://ghcr.io/kubellama', 'ghcr.io/kubellama:1.0', 'GHCR.io/x', '', 'a b'])
      expect(() => checkRegistry('--registry', r)).toThrow(/^--registry: .* is not a registry/);
  });
});
