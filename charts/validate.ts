// Prop checks shared by the install charts; each throws a ChartPropsError that names the field.
import { ChartPropsError } from './chart-props-error.js';

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/**
 * Kubernetes resource.Quantity, as controller-gen writes it into CRDs: a decimal number with an
 * optional binary (Ki…Ei), decimal (n…E) or exponent suffix. The CRD schema and the chart checks
 * both use this one pattern. The exponent is an integer, as Kubernetes' parser takes it: controller-
 * gen's pattern also allows `1e.5`, which the API server then refuses on the Pod or PVC (found by
 * fuzzing LlamaModel specs). No sign but `+`: every quantity kubellama takes (sizes, requests,
 * limits) is a resource, never negative (`-.0` passed the CRD and failed later without a field name).
 * The exponent has at most two digits: the API server takes seconds per apply of a quantity like
 * `1e6808997128` (the spec fuzzer's finding: each reconcile of such a model timed out), and no
 * resource needs more than e18.
 */
export const QUANTITY_PATTERN =
  '^\\+?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?[0-9]{1,2}))?$';
const QUANTITY = new RegExp(QUANTITY_PATTERN);

/**
 * An OTLP/gRPC endpoint: http(s)://HOST[:PORT], no path (gRPC has none). The operator's flags, the
 * CRD's spec.telemetry.endpoint and the install charts all check it with this one pattern.
 */
export const OTLP_GRPC_ENDPOINT_PATTERN = '^https?://[^\\s/]+/?$';
const OTLP_GRPC_ENDPOINT = new RegExp(OTLP_GRPC_ENDPOINT_PATTERN);

export function isOtlpGrpcEndpoint(value: string): boolean {
  return OTLP_GRPC_ENDPOINT.test(value);
}

/** An OTLP/gRPC endpoint (see OTLP_GRPC_ENDPOINT_PATTERN). */
export function checkOtlpGrpcEndpoint(field: string, value: string): string {
  if (!isOtlpGrpcEndpoint(value)) {
    throw new ChartPropsError(
      field,
      `"${value}" is not an OTLP/gRPC endpoint URL`,
      'Give scheme, host and port only, e.g. "http://otel-collector.kubellama-system.svc:4317"',
    );
  }
  return value;
}
// An image reference pinned by tag or digest: registry/repo[:tag][@sha256:…] with a tag or digest.
const PINNED_IMAGE =
  /^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:\d+)?(\/[a-z0-9._-]+)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** A namespace or other DNS-1123 label (63 characters at most). */
export function checkDnsLabel(field: string, value: string): string {
  if (value.length > 63 || !DNS_1123_LABEL.test(value)) {
    throw new ChartPropsError(
      field,
      `"${value}" is not a valid DNS-1123 label`,
      'Use at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit',
    );
  }
  return value;
}

/** An object name (DNS-1123 subdomain, 253 characters at most). */
export function checkDnsSubdomain(field: string, value: string): string {
  if (value.length > 253 || !DNS_1123_SUBDOMAIN.test(value)) {
    throw new ChartPropsError(
      field,
      `"${value}" is not a valid object name`,
      'Use lower-case letters, digits, "-" and ".", starting and ending with a letter or digit',
    );
  }
  return value;
}

export function checkQuantity(field: string, value: string): string {
  if (!QUANTITY.test(value)) {
    throw new ChartPropsError(
      field,
      `"${value}" is not a Kubernetes quantity`,
      'Write it like "500m", "2", "256Mi" or "1Gi"',
    );
  }
  return value;
}

// A registry plus optional path, no tag: host[:port][/path…], e.g. localhost:5000/kubellama.
const REGISTRY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*\/?$/;

/** Where kubellama's own images are moved: a registry host with an optional path, no scheme or tag. */
export function checkRegistry(field: string, value: string): string {
  if (!REGISTRY.test(value)) {
    throw new ChartPropsError(
      field,
      `"${value}" is not a registry`,
      'Give a host with an optional port and path, no scheme or tag, e.g. "localhost:5000/kubellama"',
    );
  }
  return value;
}

/** An image with an explicit tag or digest: `latest` and untagged images are refused (not reproducible). */
export function checkImage(field: string, value: string): string {
  const lastSegment = value.slice(value.lastIndexOf('/') + 1);
  const hasTagOrDigest = lastSegment.includes(':') || value.includes('@sha256:');
  if (!PINNED_IMAGE.test(value) || !hasTagOrDigest || /:latest$/.test(value)) {
    throw new ChartPropsError(
      field,
      `"${value}" is not an image pinned by version`,
      'Give a tag other than "latest" or a digest, e.g. "docker.io/jaegertracing/jaeger:2.13.0"',
    );
  }
  return value;
}

export function checkPositiveInteger(field: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ChartPropsError(field, `${value} is out of range`, `Use a whole number from 1 to ${max}`);
  }
  return value;
}

/**
 * The tag of an image reference (for version labels and service.version): undefined when it is
 * pinned by digest only, `latest` when it names neither (what a container runtime pulls then).
 */
export function imageTag(image: string): string | undefined {
  const [withoutDigest = image, digest] = image.split('@');
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  if (colon !== -1) return lastSegment.slice(colon + 1);
  return digest ? undefined : 'latest';
}
