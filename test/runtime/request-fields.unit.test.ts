// The one list of request fields (runtime/server/request-fields.ts) and the request schemas agree,
// and runtime/README.md shows every field with what the runtime does with it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chatCompletionRequest, completionRequest } from '../../runtime/server/openai-types.js';
import { CHAT_COMPLETION_FIELDS, COMPLETION_FIELDS } from '../../runtime/server/request-fields.js';

const README = readFileSync(new URL('../../runtime/README.md', import.meta.url), 'utf8');

describe('request fields', () => {
  it.each([
    ['chat', chatCompletionRequest, CHAT_COMPLETION_FIELDS],
    ['completions', completionRequest, COMPLETION_FIELDS],
  ] as const)('%s: the schema knows exactly the listed fields', (_, schema, fields) => {
    expect(Object.keys(schema.shape).sort()).toEqual(Object.keys(fields).sort());
  });

  it('every field is in the README table with its use', () => {
    for (const [endpoint, fields] of [
      ['chat', CHAT_COMPLETION_FIELDS],
      ['completions', COMPLETION_FIELDS],
    ] as const) {
      for (const [name, rule] of Object.entries(fields)) {
        const row = README.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
        expect(row, `${endpoint}: ${name}`).toBeDefined();
        expect(row).toContain(rule.use);
      }
    }
  });
});
