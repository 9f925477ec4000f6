// What one benchmark run measures, the same way for the raw loop and the server: time to first
// token and decode speed per stream, plus total throughput over the run's wall time.

export interface StreamTiming {
  /** Seconds from starting the request to the first generated token. */
  readonly ttft: number;
  /** Seconds from the first to the last token. */
  readonly decode: number;
  readonly tokens: number;
}

export interface RunResult {
  readonly concurrency: number;
  /** Mean time to first token over the streams, in ms. */
  readonly ttftMs: number;
  /** Mean per-stream decode speed, tokens/s (tokens after the first over the decode time). */
  readonly decodeTps: number;
  /** All generated tokens over the run's wall time, tokens/s. */
  readonly throughputTps: number;
}

export function summarize(
  concurrency: number,
  streams: readonly StreamTiming[],
  wallSeconds: number,
): RunResult {
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return {
    concurrency,
    ttftMs: mean(streams.map((s) => s.ttft * 1000)),
    decodeTps: mean(streams.map((s) => (s.tokens > 1 && s.decode > 0 ? (s.tokens - 1) / s.decode : 0))),
    throughputTps: streams.reduce((n, s) => n + s.tokens, 0) / wallSeconds,
  };
}

/** The median run by decode speed (robust to one disturbed repetition on a shared machine). */
export function median(runs: readonly RunResult[]): RunResult {
  const sorted = [...runs].sort((a, b) => a.decodeTps - b.decodeTps);
  const middle = sorted[Math.floor(sorted.length / 2)]!;
  const ttfts = runs.map((r) => r.ttftMs).sort((a, b) => a - b);
  return { ...middle, ttftMs: ttfts[Math.floor(ttfts.length / 2)]! };
}
