import { describe, expect, it } from 'vitest';
import { formatTraceTree, type JaegerTrace, type JaegerTraceSpan } from '../../lib/jaeger-trace.js';

const span = (spanID: string, operationName: string, startTime: number, duration: number, parent?: string) =>
  ({
    spanID,
    operationName,
    startTime,
    duration,
    processID: 'p1',
    ...(parent ? { references: [{ refType: 'CHILD_OF', spanID: parent }] } : {}),
  }) satisfies JaegerTraceSpan;

const trace = (spans: JaegerTraceSpan[]): JaegerTrace => ({
  traceID: 't',
  spans,
  processes: { p1: { serviceName: 'svc' } },
});

describe('formatTraceTree', () => {
  it('orders siblings by start, then end, then id, whatever order Jaeger answers in', () => {
    const root = span('r', 'POST /v1/chat/completions', 0, 100);
    // Three children starting in the same microsecond (as the runtime's phases do).
    const kids = [
      span('c', 'llama.prefill', 10, 30, 'r'),
      span('a', 'llama.tokenize', 10, 5, 'r'),
      span('b', 'llama.queue', 10, 5, 'r'),
    ];
    const once = formatTraceTree(trace([root, ...kids]));
    expect(formatTraceTree(trace([...kids].reverse().concat(root)))).toEqual(once);
    expect(once).toEqual([
      'POST /v1/chat/completions  0.10 ms  (svc)',
      '├─ llama.tokenize  0.01 ms  (svc)',
      '├─ llama.queue  0.01 ms  (svc)',
      '└─ llama.prefill  0.03 ms  (svc)',
    ]);
  });
});
