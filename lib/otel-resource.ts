// The resource of a kubellama process from the standard variables, as the OpenTelemetry
// specification defines them: OTEL_RESOURCE_ATTRIBUTES (`k=v,k2=v2`, values percent-encoded) and
// OTEL_SERVICE_NAME (wins over a service.name in the attributes). The runtime and the operator both
// read it, so the operator's pod can be renamed or labelled the same way as a model's.
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export type OtelEnv = Readonly<Record<string, string | undefined>>;

/** The resource attributes, with `serviceName` and `serviceVersion` where the environment names none. */
export function resourceAttributesFromEnv(
  env: OtelEnv,
  defaults: { serviceName: string; serviceVersion: string },
): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    attributes[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  attributes[ATTR_SERVICE_NAME] =
    env.OTEL_SERVICE_NAME || attributes[ATTR_SERVICE_NAME] || defaults.serviceName;
  attributes[ATTR_SERVICE_VERSION] ??= defaults.serviceVersion;
  return attributes;
}
