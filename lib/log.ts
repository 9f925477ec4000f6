// The one log format of every kubellama process (runtime and operator): JSON lines on stderr with
// the same keys everywhere, so one log pipeline parses both, and each line written while a span is
// active names that span's trace, so a log line leads to its trace in Jaeger (and back).
import { trace } from '@opentelemetry/api';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Readonly<Record<string, unknown>>;

/** The keys every line starts with; `trace_id`/`span_id` only while a sampled-or-not span is active. */
export const LOG_KEYS = {
  time: 'time',
  level: 'level',
  msg: 'msg',
  traceId: 'trace_id',
  spanId: 'span_id',
} as const;

/** The environment variable both processes read the level from (their `--log-level` flag wins). */
export const LOG_LEVEL_ENV = 'LOG_LEVEL';

export interface Logger {
  readonly level: LogLevel;
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  /** @default 'info' */
  readonly level?: LogLevel;
  /** @default a write to stderr (stdout stays free for a command's own output) */
  readonly write?: (line: string) => void;
}

/** `LOG_LEVEL` or a flag value as a level; anything else is an error naming where it came from. */
export function parseLogLevel(value: string, source: string): LogLevel {
  const level = value.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new Error(`${source}: "${value}" is not a log level. Use one of ${LOG_LEVELS.join(', ')}`);
}

const RESERVED = new Set<string>(Object.values(LOG_KEYS));

function fieldValue(value: unknown): unknown {
  return value instanceof Error ? value.message : value;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'info');
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const enabled = (level: LogLevel) => LOG_LEVELS.indexOf(level) >= threshold;
  const log = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (!enabled(level)) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, msg };
    const span = trace.getActiveSpan()?.spanContext();
    if (span && trace.isSpanContextValid(span)) {
      entry.trace_id = span.traceId;
      entry.span_id = span.spanId;
    }
    for (const [key, value] of Object.entries(fields)) {
      // A field named like a fixed key keeps its value under another name instead of replacing it.
      entry[RESERVED.has(key) ? `field.${key}` : key] = fieldValue(value);
    }
    write(`${JSON.stringify(entry)}\n`);
  };
  return {
    level: LOG_LEVELS[threshold] ?? 'info',
    log,
    enabled,
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
  };
}
