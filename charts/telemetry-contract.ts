// Span attribute names that the collector's pipeline reads from the runtime's spans: the spanmetrics
// dimensions and the tail-sampling policies. The runtime's semconv.ts takes them from here, so a
// rename on one side cannot silently empty a dashboard or stop a sampling policy from matching.

export const TRACE_ATTRIBUTES = {
  /** GenAI semconv: the model the request asked for. A spanmetrics dimension. */
  requestModel: 'gen_ai.request.model',
  /** GenAI semconv: chat, text_completion, … A spanmetrics dimension. */
  operationName: 'gen_ai.operation.name',
  /** Seconds from arrival to the first generated token, on the operation span (a double). */
  timeToFirstToken: 'llama.request.time_to_first_token',
  /**
   * `always` keeps the trace whatever the sampling ratio. The runtime copies it from the request's
   * W3C baggage (`baggage: kubellama.sample=always`) onto its server span; any other service in
   * the trace may set it on its own spans.
   */
  sample: 'kubellama.sample',
} as const;

/** The one value of TRACE_ATTRIBUTES.sample that the tail-sampling policy acts on. */
export const SAMPLE_ALWAYS = 'always';
