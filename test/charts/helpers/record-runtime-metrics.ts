// Records one data point on every instrument in RUNTIME_METRICS, named and typed as the runtime
// declares them, so tests can see the names that real exporters give them.
import type { Meter } from '@opentelemetry/api';
import { RUNTIME_METRICS } from '../../../charts/metrics-contract.js';

export function recordRuntimeMetrics(meter: Meter, attributes: Record<string, string> = {}): void {
  for (const metric of Object.values(RUNTIME_METRICS)) {
    const options = { unit: metric.unit, description: metric.description };
    if (metric.type === 'histogram') meter.createHistogram(metric.otelName, options).record(0.25, attributes);
    else if (metric.type === 'counter') meter.createCounter(metric.otelName, options).add(3, attributes);
    else meter.createGauge(metric.otelName, options).record(0.5, attributes);
  }
}

/** Metric names (the part before `{` or a space) of every sample line in a Prometheus text page. */
export function sampleNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (match?.[1]) names.add(match[1]);
  }
  return names;
}
