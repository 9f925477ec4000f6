// The product's log line (lib/log.ts) as a schema, so tests check every process's lines against
// one definition: the fixed keys first, then any fields.
import { z } from 'zod';
import { LOG_LEVELS } from '../../lib/log.js';

export const LOG_LINE = z.looseObject({
  time: z.iso.datetime(),
  level: z.enum(LOG_LEVELS),
  msg: z.string().min(1),
  trace_id: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  span_id: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .optional(),
});

export type LogLineEntry = z.infer<typeof LOG_LINE>;

/** Parses every JSON line of a log text (other lines, e.g. a native library's, are skipped). */
export function logLines(text: string): LogLineEntry[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => LOG_LINE.parse(JSON.parse(line)));
}
