// A trace from Jaeger's query API (`GET /api/traces/<id>`, what the Go-built Jaeger serves without a
// UI) as a tree for a terminal: each span with its duration and service, children indented under
// their parent in start order.

export interface JaegerTraceSpan {
  readonly spanID: string;
  readonly operationName: string;
  /** Microseconds since the epoch. */
  readonly startTime: number;
  /** Microseconds. */
  readonly duration: number;
  readonly processID: string;
  readonly references?: readonly { readonly refType: string; readonly spanID: string }[];
  readonly tags?: readonly { readonly key: string; readonly value: unknown }[];
}

export interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly JaegerTraceSpan[];
  readonly processes: Readonly<
    Record<
      string,
      { readonly serviceName: string; readonly tags?: readonly { key: string; value: unknown }[] }
    >
  >;
}

/** The trace as Jaeger's API answers it, or undefined while Jaeger does not have it. */
export async function fetchJaegerTrace(jaegerUrl: string, traceId: string): Promise<JaegerTrace | undefined> {
  const response = await fetch(`${jaegerUrl}/api/traces/${traceId}`).catch(() => undefined);
  if (!response?.ok) return undefined;
  const body = (await response.json()) as { data?: JaegerTrace[] };
  return body.data?.[0];
}

/** When a trace began: its earliest span's start (microseconds since the epoch). */
export function traceStart(trace: JaegerTrace): number {
  return Math.min(...trace.spans.map((span) => span.startTime));
}

/**
 * The newest of a service's traces in the last `lookbackHours` that have a span with every tag in
 * `tags` (Jaeger's search answers at most `limit`, in no promised order: sorted here), or undefined
 * when it has none.
 */
export async function fetchNewestTrace(
  jaegerUrl: string,
  service: string,
  {
    tags = {},
    limit = 100,
    lookbackHours = 48,
  }: { tags?: Readonly<Record<string, string>>; limit?: number; lookbackHours?: number } = {},
): Promise<JaegerTrace | undefined> {
  const end = Date.now() * 1000;
  const query = new URLSearchParams({
    service,
    limit: String(limit),
    start: String(end - lookbackHours * 3_600_000_000),
    end: String(end),
    ...(Object.keys(tags).length > 0 ? { tags: JSON.stringify(tags) } : {}),
  });
  const response = await fetch(`${jaegerUrl}/api/traces?${query}`);
  if (!response.ok) {
    throw new Error(
      `Jaeger answered ${response.status} to a search of service "${service}": ${await response.text()}`,
    );
  }
  const body = (await response.json()) as { data?: JaegerTrace[] | null };
  const traces = (body.data ?? []).filter((trace) => trace.spans.length > 0);
  return traces.sort((a, b) => traceStart(b) - traceStart(a))[0];
}

function milliseconds(microseconds: number): string {
  const ms = microseconds / 1000;
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
}

/**
 * One line per span: `├─ chat tiny  41.2 ms  (tiny)`. A span whose parent is not in the trace (not
 * arrived, or another service's) is shown as a root.
 */
export function formatTraceTree(trace: JaegerTrace): string[] {
  const ids = new Set(trace.spans.map((span) => span.spanID));
  const parentOf = (span: JaegerTraceSpan) =>
    span.references?.find((ref) => ref.refType === 'CHILD_OF' && ids.has(ref.spanID))?.spanID;
  const children = new Map<string | undefined, JaegerTraceSpan[]>();
  for (const span of trace.spans) {
    const parent = parentOf(span);
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  // By start, then end, then id: spans often start in the same microsecond, and Jaeger answers them in
  // no promised order, so the same trace printed twice came out in two orders (a flaky test found it).
  const order = (a: JaegerTraceSpan, b: JaegerTraceSpan) =>
    a.startTime - b.startTime ||
    a.startTime + a.duration - (b.startTime + b.duration) ||
    (a.spanID < b.spanID ? -1 : a.spanID > b.spanID ? 1 : 0);
  for (const list of children.values()) list.sort(order);
  const lines: string[] = [];
  const walk = (span: JaegerTraceSpan, prefix: string, last: boolean, root: boolean) => {
    const service = trace.processes[span.processID]?.serviceName ?? '?';
    const branch = root ? '' : last ? '└─ ' : '├─ ';
    lines.push(`${prefix}${branch}${span.operationName}  ${milliseconds(span.duration)}  (${service})`);
    const kids = children.get(span.spanID) ?? [];
    const childPrefix = root ? prefix : `${prefix}${last ? '   ' : '│  '}`;
    for (const [i, kid] of kids.entries()) walk(kid, childPrefix, i === kids.length - 1, false);
  };
  for (const root of children.get(undefined) ?? []) walk(root, '', true, true);
  return lines;
}
