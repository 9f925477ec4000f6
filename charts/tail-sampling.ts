// Tail sampling in the gateway collector: decide per trace, once its spans are in, so every failed
// or slow request is kept even when only a small share of the rest is. Head sampling in the runtime
// (OTEL_TRACES_SAMPLER) decides before a request runs, and drops exactly the traces one wants.
import { ChartPropsError } from './chart-props-error.js';
import { SAMPLE_ALWAYS, TRACE_ATTRIBUTES } from './telemetry-contract.js';

export interface TailSamplingOptions {
  /** Share (0–1) of the traces that no keep-policy matches which are kept anyway. @default 1 (keep all) */
  readonly ratio?: number;
  /** Keep every trace that lasts longer than this, first span start to last span end. @default 10000 */
  readonly slowTraceMs?: number;
  /** Keep every trace whose time to first token is over this. @default 2000 */
  readonly slowFirstTokenMs?: number;
  /**
   * The longest the gateway holds a trace's spans before deciding; a trace whose root span has
   * arrived (the runtime's server span ends last) is decided one second after it. A request still
   * running after this long is judged on the spans it has, and its later spans follow that decision,
   * so keep it above the longest generation you want judged whole. @default 120
   */
  readonly decisionWaitSeconds?: number;
  /** Traces held in memory at once while waiting; beyond it the oldest are decided early. @default 50000 */
  readonly maxTraces?: number;
}

export const TAIL_SAMPLING_DEFAULTS = {
  ratio: 1,
  slowTraceMs: 10_000,
  slowFirstTokenMs: 2_000,
  decisionWaitSeconds: 120,
  maxTraces: 50_000,
} as const satisfies Required<TailSamplingOptions>;

/** Policy names as the processor reports them (its metrics and debug logs). */
export const TAIL_SAMPLING_POLICIES = {
  errors: 'keep-errors',
  slow: 'keep-slow',
  slowFirstToken: 'keep-slow-first-token',
  always: 'keep-marked',
  share: 'keep-share',
} as const;

function checkRange(field: string, value: number, min: number, max: number, hint: string): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ChartPropsError(field, `${value} is out of range [${min}, ${max}]`, hint);
  }
  return value;
}

/**
 * The `tail_sampling` processor: any matching policy keeps the whole trace. `undefined` at ratio 1,
 * where every trace is kept anyway: the stage is left out, so traces reach Jaeger without waiting
 * for a decision.
 */
export function tailSamplingProcessor(
  options: TailSamplingOptions = {},
): Record<string, unknown> | undefined {
  const o = { ...TAIL_SAMPLING_DEFAULTS, ...options };
  const ratio = checkRange('tailSampling.ratio', o.ratio, 0, 1, 'Give a share such as 0.01 (1 %) or 1 (all)');
  const slowMs = checkRange(
    'tailSampling.slowTraceMs',
    o.slowTraceMs,
    1,
    86_400_000,
    'Give milliseconds, e.g. 10000',
  );
  const ttftMs = checkRange(
    'tailSampling.slowFirstTokenMs',
    o.slowFirstTokenMs,
    1,
    86_400_000,
    'Give milliseconds, e.g. 2000',
  );
  const wait = checkRange(
    'tailSampling.decisionWaitSeconds',
    o.decisionWaitSeconds,
    1,
    3600,
    'Give seconds, e.g. 30',
  );
  const maxTraces = checkRange(
    'tailSampling.maxTraces',
    o.maxTraces,
    100,
    10_000_000,
    'Give a count, e.g. 50000',
  );
  if (ratio === 1) return undefined;
  return {
    decision_wait: `${wait}s`,
    decision_wait_after_root_received: '1s',
    num_traces: Math.round(maxTraces),
    // Remember decisions, so spans that arrive after one (a long generation's last spans) follow it.
    // (The processor advises ten times num_traces; an entry is a trace id.)
    decision_cache: {
      sampled_cache_size: Math.round(maxTraces) * 10,
      non_sampled_cache_size: Math.round(maxTraces) * 10,
    },
    policies: [
      { name: TAIL_SAMPLING_POLICIES.errors, type: 'status_code', status_code: { status_codes: ['ERROR'] } },
      { name: TAIL_SAMPLING_POLICIES.slow, type: 'latency', latency: { threshold_ms: Math.round(slowMs) } },
      {
        // The TTFT attribute is a double in seconds; the numeric_attribute policy reads integers only.
        name: TAIL_SAMPLING_POLICIES.slowFirstToken,
        type: 'ottl_condition',
        ottl_condition: {
          error_mode: 'ignore',
          span: [`attributes["${TRACE_ATTRIBUTES.timeToFirstToken}"] > ${ttftMs / 1000}`],
        },
      },
      {
        name: TAIL_SAMPLING_POLICIES.always,
        type: 'string_attribute',
        string_attribute: { key: TRACE_ATTRIBUTES.sample, values: [SAMPLE_ALWAYS] },
      },
      {
        // Hashes the trace id: every gateway replica decides the same for a trace.
        name: TAIL_SAMPLING_POLICIES.share,
        type: 'probabilistic',
        probabilistic: { sampling_percentage: ratio * 100 },
      },
    ],
  };
}
