// status.performance as a pure function of two scrapes of each ready pod's /metrics: the runtime's
// counters and histogram buckets are cumulative, so what happened in the window is the difference
// between the two (Prometheus' rate() and histogram_quantile() over one window). Names come from
// the metrics contract (charts/metrics-contract.ts), the text is parsed by prometheus-text.ts.
import { RUNTIME_METRICS } from '../../charts/metrics-contract.js';
import type { PerformanceStatus } from '../api/llama-model.js';
import { parsePrometheusText, type Sample } from './prometheus-text.js';

/** What one scrape of one runtime says, summed over label sets. */
export interface RuntimeSample {
  /** When it was read (ms since the epoch). */
  readonly at: number;
  /** llamacpp_tokens_predicted_total. */
  readonly tokensPredicted: number;
  /** Time to first token: cumulative counts by upper bound (seconds), ascending, +Inf last. */
  readonly ttftBuckets: readonly Bucket[];
  readonly requestsProcessing: number;
  readonly requestsDeferred: number;
}

export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/** Two scrapes of one pod: the window's two ends. */
export interface SamplePair {
  readonly before: RuntimeSample;
  readonly after: RuntimeSample;
}

function total(samples: readonly Sample[], name: string): number {
  let sum = 0;
  for (const s of samples) if (s.name === name && Number.isFinite(s.value)) sum += s.value;
  return sum;
}

/** A histogram's cumulative buckets, each bound summed over the label sets (operations, models). */
function buckets(samples: readonly Sample[], name: string): Bucket[] {
  const series = `${name}_bucket`;
  const byBound = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== series || s.labels.le === undefined || !Number.isFinite(s.value)) continue;
    const bound = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    if (Number.isNaN(bound)) continue;
    byBound.set(bound, (byBound.get(bound) ?? 0) + s.value);
  }
  return [...byBound.entries()].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count }));
}

/** One scrape of a runtime's /metrics (Prometheus text). */
export function readRuntimeSample(text: string, at: number): RuntimeSample {
  const samples = parsePrometheusText(text);
  return {
    at,
    tokensPredicted: total(samples, RUNTIME_METRICS.tokensPredicted.prometheusName),
    ttftBuckets: buckets(samples, RUNTIME_METRICS.timeToFirstToken.prometheusName),
    requestsProcessing: total(samples, RUNTIME_METRICS.requestsProcessing.prometheusName),
    requestsDeferred: total(samples, RUNTIME_METRICS.requestsDeferred.prometheusName),
  };
}

/** A counter's increase; a restarted process (the counter went down) counts from zero, as rate() does. */
function increase(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/** The window's buckets: each bound's increase, summed over the pods (a pod missing a bound counts 0). */
export function bucketDeltas(pairs: readonly SamplePair[]): Bucket[] {
  const byBound = new Map<number, number>();
  for (const { before, after } of pairs) {
    const reset = after.ttftBuckets.some(
      (b) => b.count < (before.ttftBuckets.find((x) => x.le === b.le)?.count ?? 0),
    );
    for (const b of after.ttftBuckets) {
      const previous = reset ? 0 : (before.ttftBuckets.find((x) => x.le === b.le)?.count ?? 0);
      byBound.set(b.le, (byBound.get(b.le) ?? 0) + (b.count - previous));
    }
  }
  return [...byBound.entries()].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count }));
}

/**
 * The q-quantile of cumulative buckets, as Prometheus' histogram_quantile() estimates it: linear
 * within the bucket the rank falls in (from 0 for the first), the highest finite bound when it falls
 * in +Inf. undefined when the buckets hold no observation.
 */
export function histogramQuantile(q: number, cumulative: readonly Bucket[]): number | undefined {
  const last = cumulative[cumulative.length - 1];
  if (!last || last.count <= 0) return undefined;
  const rank = q * last.count;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of cumulative) {
    if (bucket.count >= rank) {
      if (bucket.le === Number.POSITIVE_INFINITY) return lowerBound;
      const inBucket = bucket.count - lowerCount;
      if (inBucket <= 0) return bucket.le;
      return lowerBound + (bucket.le - lowerBound) * ((rank - lowerCount) / inBucket);
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound;
}

const round = (value: number, digits: number) => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/**
 * status.performance of a model from the pairs of its ready pods scraped at both ends of a window:
 * tokens/s is the sum of each pod's counter increase over its own window; TTFT quantiles come from
 * the buckets' increases summed over pods; the gauges are the latest scrape's, summed. Values are
 * rounded (tokens/s to 0.1, seconds to 0.1 ms) so that noise below that is not a change to write.
 */
export function performanceOf(pairs: readonly SamplePair[], observedAt: Date): PerformanceStatus {
  let tokensPerSecond = 0;
  let windowSeconds = 0;
  let inFlight = 0;
  let queued = 0;
  for (const { before, after } of pairs) {
    const seconds = (after.at - before.at) / 1000;
    if (seconds > 0) tokensPerSecond += increase(before.tokensPredicted, after.tokensPredicted) / seconds;
    windowSeconds = Math.max(windowSeconds, seconds);
    inFlight += after.requestsProcessing;
    queued += after.requestsDeferred;
  }
  const window = bucketDeltas(pairs);
  const p50 = histogramQuantile(0.5, window);
  const p95 = histogramQuantile(0.95, window);
  return {
    tokensPerSecond: round(tokensPerSecond, 1),
    ...(p50 !== undefined ? { ttftP50Seconds: round(p50, 4) } : {}),
    ...(p95 !== undefined ? { ttftP95Seconds: round(p95, 4) } : {}),
    requestsInFlight: Math.round(inFlight),
    requestsQueued: Math.round(queued),
    replicasScraped: pairs.length,
    windowSeconds: round(windowSeconds, 1),
    observedAt: observedAt.toISOString(),
  };
}

/** The values a user reads: two statuses that differ only in when or over how long they were read are the same. */
export function samePerformance(a: PerformanceStatus | undefined, b: PerformanceStatus | undefined): boolean {
  if (!a || !b) return a === b;
  const { observedAt: _a, windowSeconds: _aw, ...restA } = a;
  const { observedAt: _b, windowSeconds: _bw, ...restB } = b;
  const keys = new Set([...Object.keys(restA), ...Object.keys(restB)]);
  return [...keys].every((k) => restA[k as keyof typeof restA] === restB[k as keyof typeof restB]);
}
