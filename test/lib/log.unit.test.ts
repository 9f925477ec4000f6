// The product's one log format (lib/log.ts): keys, levels, trace correlation with a real
// OpenTelemetry tracer and context manager, and the errors a bad level gives.
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type LogLevel, parseLogLevel } from '../../lib/log.js';
import { LOG_LINE } from '../harness/log-schema.js';

function captured(level?: LogLevel) {
  const lines: string[] = [];
  const log = createLogger({ level, write: (line) => lines.push(line) });
  return { log, lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('lib/log: the one log format', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  it('writes one JSON object per line, starting with time, level and msg, then the fields', () => {
    const { log, lines, entries } = captured();
    log.info('listening', { url: 'http://127.0.0.1:8080', parallel: 4 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('}\n')).toBe(true);
    expect(Object.keys(entries()[0]!)).toEqual(['time', 'level', 'msg', 'url', 'parallel']);
    expect(LOG_LINE.parse(entries()[0])).toMatchObject({ level: 'info', msg: 'listening', parallel: 4 });
  });

  it('drops lines below its level and says which levels it writes', () => {
    const { log, entries } = captured('warn');
    log.debug('a');
    log.info('b');
    log.warn('c');
    log.error('d');
    expect(entries().map((e) => e.msg)).toEqual(['c', 'd']);
    expect(log.enabled('info')).toBe(false);
    expect(log.enabled('error')).toBe(true);
    expect(captured().log.level).toBe('info');
  });

  it('names the active span, and only a valid one', () => {
    const { log, entries } = captured();
    const tracer = new BasicTracerProvider().getTracer('test');
    log.info('outside');
    tracer.startActiveSpan('work', (span) => {
      log.info('inside');
      span.end();
    });
    const span = tracer.startSpan('other');
    context.with(trace.setSpan(context.active(), span), () => log.info('with'));
    context.with(
      trace.setSpanContext(context.active(), trace.wrapSpanContext({} as never).spanContext()),
      () => log.info('invalid'),
    );
    const [outside, inside, withSpan, invalid] = entries();
    expect(outside).not.toHaveProperty('trace_id');
    expect(inside).toMatchObject({ trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(inside!.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(withSpan).toMatchObject({
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
    });
    expect(invalid).not.toHaveProperty('trace_id');
  });

  it('keeps a field named like a fixed key under another name instead of losing either', () => {
    const { log, entries } = captured();
    log.warn('real', { msg: 'from a field', level: 'x', time: 1, trace_id: 'y' });
    expect(entries()[0]).toMatchObject({
      level: 'warn',
      msg: 'real',
      'field.msg': 'from a field',
      'field.level': 'x',
      'field.time': 1,
      'field.trace_id': 'y',
    });
  });

  it('writes an Error field as its message', () => {
    const { log, entries } = captured();
    log.error('failed', { error: new Error('disk full') });
    expect(entries()[0]!.error).toBe('disk full');
  });

  it('parses levels case-insensitively and names the source of a bad one', () => {
    expect(parseLogLevel(' DEBUG ', 'LOG_LEVEL')).toBe('debug');
    expect(() => parseLogLevel('verbose', 'LOG_LEVEL')).toThrow(
      'LOG_LEVEL: "verbose" is not a log level. Use one of debug, info, warn, error',
    );
    expect(() => parseLogLevel('', '--log-level')).toThrow('--log-level: "" is not a log level');
  });
});
