// What one benchmark run measures, the same way for the raw loop and every server: per stream the
// time to first token and the decode speed, and the aggregate throughput over the run's wall time.
// Runs of one mode and concurrency are then pooled: medians for speeds, percentiles for TTFT.

export interface StreamTiming {
  /** Seconds from starting the request to the first generated token. */
  readonly ttft: number;
  /** Seconds from the first to the last token. */
  readonly decode: number;
  readonly tokens: number;
}

export interface RunResult {
  readonly concurrency: number;
  /** Every stream's time to first token, in ms. */
  readonly ttftsMs: readonly number[];
  /** Mean per-stream decode speed, tokens/s (tokens after the first over the decode time). */
  readonly perStreamTps: number;
  /** All generated tokens over the run's wall time, tokens/s. */
  readonly aggregateTps: number;
}

/** Runs of one mode at one concurrency, pooled. */
export interface Summary {
  readonly concurrency: number;
  readonly runs: number;
  /** Median over the runs. */
  readonly aggregateTps: number;
  readonly perStreamTps: number;
  /** Over every stream of every run. */
  readonly ttftP50Ms: number;
  readonly ttftP95Ms: number;
}

export function summarize(
  concurrency: number,
  streams: readonly StreamTiming[],
  wallSeconds: number,
): RunResult {
  const rates = streams.map((s) => (s.tokens > 1 && s.decode > 0 ? (s.tokens - 1) / s.decode : 0));
  return {
    concurrency,
    ttftsMs: streams.map((s) => s.ttft * 1000),
    perStreamTps: rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length),
    aggregateTps: streams.reduce((n, s) => n + s.tokens, 0) / wallSeconds,
  };
}

/** The nearest-rank percentile (0..100) of a list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Medians of the speeds (robust to one disturbed run on a shared machine), TTFT percentiles. */
export function pool(runs: readonly RunResult[]): Summary {
  const ttfts = runs.flatMap((r) => r.ttftsMs);
  return {
    concurrency: runs[0]?.concurrency ?? 0,
    runs: runs.length,
    aggregateTps: percentile(
      runs.map((r) => r.aggregateTps),
      50,
    ),
    perStreamTps: percentile(
      runs.map((r) => r.perStreamTps),
      50,
    ),
    ttftP50Ms: percentile(ttfts, 50),
    ttftP95Ms: percentile(ttfts, 95),
  };
}
