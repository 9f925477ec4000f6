// status.performance's arithmetic (operator/llamamodel/performance-window.ts, prometheus-text.ts) and status.download's
// sum (download-status.ts): pure functions of scrapes and progress lines, checked against hand-worked
// numbers and Prometheus' own histogram_quantile() semantics.
import { describe, expect, it } from 'vitest';
import { RUNTIME_METRICS } from '../../charts/metrics-contract.js';
import { downloadOf } from '../../operator/llamamodel/download-status.js';
import {
  bucketDeltas,
  histogramQuantile,
  performanceOf,
  type RuntimeSample,
  readRuntimeSample,
  samePerformance,
} from '../../operator/llamamodel/performance-window.js';
import { parsePrometheusText } from '../../operator/llamamodel/prometheus-text.js';

const TTFT = RUNTIME_METRICS.timeToFirstToken.prometheusName;
const TOKENS = RUNTIME_METRICS.tokensPredicted.prometheusName;
const PROCESSING = RUNTIME_METRICS.requestsProcessing.prometheusName;
const DEFERRED = RUNTIME_METRICS.requestsDeferred.prometheusName;

/** /metrics as the OpenTelemetry Prometheus exporter writes it, two label sets on the histogram. */
function metricsText(o: {
  tokens: number;
  chat: number[];
  completion: number[];
  processing: number;
  deferred: number;
}) {
  const bounds = ['0.01', '0.05', '0.1', '0.5', '+Inf'];
  const hist = (operation: string, counts: number[]) =>
    bounds
      .map((le, i) => `${TTFT}_bucket{gen_ai_operation_name="${operation}",le="${le}"} ${counts[i]}`)
      .join('\n') +
    `\n${TTFT}_sum{gen_ai_operation_name="${operation}"} 1.5\n${TTFT}_count{gen_ai_operation_name="${operation}"} ${counts.at(-1)}`;
  return [
    `# HELP ${TTFT} Time to first token`,
    `# TYPE ${TTFT} histogram`,
    hist('chat', o.chat),
    hist('text_completion', o.completion),
    `# HELP ${TOKENS} Tokens generated`,
    `# TYPE ${TOKENS} counter`,
    `${TOKENS} ${o.tokens}`,
    `# TYPE ${PROCESSING} gauge`,
    `${PROCESSING} ${o.processing}`,
    `# TYPE ${DEFERRED} gauge`,
    `${DEFERRED} ${o.deferred}`,
    '# TYPE llamacpp_kv_cache_usage_ratio gauge',
    'llamacpp_kv_cache_usage_ratio 0.25',
    '',
  ].join('\n');
}

const sample = (
  at: number,
  tokens: number,
  buckets: [number, number][],
  processing = 0,
  deferred = 0,
): RuntimeSample => ({
  at,
  tokensPredicted: tokens,
  ttftBuckets: buckets.map(([le, count]) => ({ le, count })),
  requestsProcessing: processing,
  requestsDeferred: deferred,
});

describe('readRuntimeSample', () => {
  it('reads the counter, the gauges and the TTFT buckets summed over label sets', () => {
    const s = readRuntimeSample(
      metricsText({
        tokens: 420,
        chat: [1, 3, 4, 5, 5],
        completion: [0, 1, 1, 2, 3],
        processing: 2,
        deferred: 1,
      }),
      1_000,
    );
    expect(s).toEqual({
      at: 1_000,
      tokensPredicted: 420,
      ttftBuckets: [
        { le: 0.01, count: 1 },
        { le: 0.05, count: 4 },
        { le: 0.1, count: 5 },
        { le: 0.5, count: 7 },
        { le: Number.POSITIVE_INFINITY, count: 8 },
      ],
      requestsProcessing: 2,
      requestsDeferred: 1,
    });
  });

  it('a runtime that served nothing yet has zeros and no buckets', () => {
    expect(readRuntimeSample('# nothing here\n', 5)).toEqual(sample(5, 0, []));
  });
});

describe('histogramQuantile (Prometheus semantics)', () => {
  const b = (pairs: [number, number][]) => pairs.map(([le, count]) => ({ le, count }));
  it('interpolates linearly inside the bucket the rank falls in, from 0 for the first', () => {
    const buckets = b([
      [0.1, 10],
      [0.5, 20],
      [Number.POSITIVE_INFINITY, 20],
    ]);
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1, 10);
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.05, 10);
    expect(histogramQuantile(0.75, buckets)).toBeCloseTo(0.3, 10);
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.46, 10);
  });
  it('answers the highest finite bound when the rank falls in +Inf', () => {
    expect(
      histogramQuantile(
        0.95,
        b([
          [0.1, 1],
          [0.2, 1],
          [Number.POSITIVE_INFINITY, 2],
        ]),
      ),
    ).toBe(0.2);
  });
  it('skips empty buckets and answers undefined without observations', () => {
    expect(
      histogramQuantile(
        0.5,
        b([
          [0.1, 0],
          [0.2, 0],
          [0.4, 2],
          [Number.POSITIVE_INFINITY, 2],
        ]),
      ),
    ).toBeCloseTo(0.3, 10);
    expect(
      histogramQuantile(
        0.5,
        b([
          [0.1, 0],
          [Number.POSITIVE_INFINITY, 0],
        ]),
      ),
    ).toBeUndefined();
    expect(histogramQuantile(0.5, [])).toBeUndefined();
  });
});

describe('bucketDeltas', () => {
  it('sums each bound’s increase over pods; a pod that restarted counts from zero', () => {
    const inf = Number.POSITIVE_INFINITY;
    const deltas = bucketDeltas([
      {
        before: sample(0, 0, [
          [0.1, 5],
          [inf, 6],
        ]),
        after: sample(1, 0, [
          [0.1, 7],
          [inf, 9],
        ]),
      },
      // restarted: its counts went down, so all of "after" happened in the window
      {
        before: sample(0, 0, [
          [0.1, 50],
          [inf, 60],
        ]),
        after: sample(1, 0, [
          [0.1, 1],
          [inf, 1],
        ]),
      },
      // first request ever in the window: no buckets before
      {
        before: sample(0, 0, []),
        after: sample(1, 0, [
          [0.1, 0],
          [inf, 1],
        ]),
      },
    ]);
    expect(deltas).toEqual([
      { le: 0.1, count: 3 },
      { le: inf, count: 5 },
    ]);
  });
});

describe('performanceOf', () => {
  const inf = Number.POSITIVE_INFINITY;
  const at = new Date('2026-12-02T18:00:00.000Z');

  it('adds the pods’ token rates, takes TTFT quantiles of the window and sums the gauges', () => {
    const p = performanceOf(
      [
        // 300 tokens in 30 s, 10 requests: 8 under 0.1 s, 2 under 0.5 s
        {
          before: sample(0, 1_000, [
            [0.1, 2],
            [0.5, 2],
            [inf, 2],
          ]),
          after: sample(
            30_000,
            1_300,
            [
              [0.1, 10],
              [0.5, 12],
              [inf, 12],
            ],
            2,
            1,
          ),
        },
        // 150 tokens in 29 s, nothing in its histogram
        {
          before: sample(1_000, 50, [
            [0.1, 0],
            [0.5, 0],
            [inf, 0],
          ]),
          after: sample(
            30_000,
            200,
            [
              [0.1, 0],
              [0.5, 0],
              [inf, 0],
            ],
            1,
            0,
          ),
        },
      ],
      at,
    );
    expect(p).toEqual({
      tokensPerSecond: Math.round((300 / 30 + 150 / 29) * 10) / 10,
      ttftP50Seconds: 0.0625, // rank 5 of 10: 5 of the 8 in [0, 0.1]
      ttftP95Seconds: 0.4, // rank 9.5 of 10: 1.5 of the 2 in (0.1, 0.5], 0.1 + 0.4 × 0.75
      requestsInFlight: 3,
      requestsQueued: 1,
      replicasScraped: 2,
      windowSeconds: 30,
      observedAt: at.toISOString(),
    });
  });

  it('an idle window is 0 tokens/s and has no TTFT', () => {
    const idle = performanceOf(
      [{ before: sample(0, 500, [[inf, 4]]), after: sample(30_000, 500, [[inf, 4]]) }],
      at,
    );
    expect(idle).toEqual({
      tokensPerSecond: 0,
      requestsInFlight: 0,
      requestsQueued: 0,
      replicasScraped: 1,
      windowSeconds: 30,
      observedAt: at.toISOString(),
    });
  });

  it('a restarted process counts its tokens from zero, never a negative rate', () => {
    const p = performanceOf([{ before: sample(0, 9_000, []), after: sample(10_000, 40, []) }], at);
    expect(p.tokensPerSecond).toBe(4);
  });

  it('samePerformance ignores when and over how long, and sees everything a user reads', () => {
    const a = performanceOf(
      [
        {
          before: sample(0, 0, []),
          after: sample(30_000, 300, [
            [0.1, 1],
            [inf, 1],
          ]),
        },
      ],
      at,
    );
    const later = { ...a, observedAt: '2026-12-02T18:00:30.000Z', windowSeconds: 30.1 };
    expect(samePerformance(a, later)).toBe(true);
    expect(samePerformance(a, { ...a, tokensPerSecond: 10.1 })).toBe(false);
    const { ttftP50Seconds: _, ...withoutP50 } = a;
    expect(samePerformance(a, withoutP50)).toBe(false);
    expect(samePerformance(a, undefined)).toBe(false);
    expect(samePerformance(undefined, undefined)).toBe(true);
  });
});

describe('downloadOf', () => {
  const at = new Date('2026-12-02T18:00:00.000Z');
  it('sums the pods’ progress lines; percent of the sum, rounded down', () => {
    expect(
      downloadOf(
        2,
        [
          { bytes: 100, totalBytes: 400, percent: 25 },
          { bytes: 299, totalBytes: 400, percent: 74 },
        ],
        at,
      ),
    ).toEqual({ bytes: 399, totalBytes: 800, percent: 49, pods: 2, observedAt: at.toISOString() });
  });
  it('pods downloading without a progress line yet: 0 of unknown', () => {
    expect(downloadOf(1, [], at)).toEqual({
      bytes: 0,
      totalBytes: 0,
      percent: 0,
      pods: 1,
      observedAt: at.toISOString(),
    });
  });
});

describe('parsePrometheusText', () => {
  it('keeps every label set of a histogram apart (the npm parser merged them) and reads escapes and timestamps', () => {
    const samples = parsePrometheusText(
      [
        '# TYPE x histogram',
        'x_bucket{op="chat",le="0.1"} 1',
        'x_bucket{op="chat",le="+Inf"} 5',
        'x_bucket{op="t",le="0.1"} 0 1700000000000',
        'x_bucket{op="t",le="+Inf"} 3',
        'y{path="a\\"b\\\\c\\nd",} +Inf',
        'z 1e3',
      ].join('\n'),
    );
    expect(samples).toEqual([
      { name: 'x_bucket', labels: { op: 'chat', le: '0.1' }, value: 1 },
      { name: 'x_bucket', labels: { op: 'chat', le: '+Inf' }, value: 5 },
      { name: 'x_bucket', labels: { op: 't', le: '0.1' }, value: 0 },
      { name: 'x_bucket', labels: { op: 't', le: '+Inf' }, value: 3 },
      { name: 'y', labels: { path: 'a"b\\c\nd' }, value: Number.POSITIVE_INFINITY },
      { name: 'z', labels: {}, value: 1000 },
    ]);
  });

  it('skips lines that do not parse and keeps the rest', () => {
    expect(
      parsePrometheusText(
        ['garbage here now', 'a{b=unquoted} 1', 'c{d="e"} notanumber', 'ok 2', '   '].join('\n'),
      ),
    ).toEqual([{ name: 'ok', labels: {}, value: 2 }]);
  });
});
