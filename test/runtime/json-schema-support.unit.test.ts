// What the grammar can enforce: accepted schemas come back ready for node-llama-cpp (anyOf as its
// union), refused ones name the keyword's path; zod's output through the openai helper is accepted.
import { zodResponseFormat } from 'openai/helpers/zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError } from '../../runtime/server/errors.js';
import { checkJsonSchema } from '../../runtime/server/json-schema-support.js';

const refusal = (schema: unknown) => {
  try {
    checkJsonSchema(schema, 's');
  } catch (error) {
    if (error instanceof ApiError) return { code: error.code, param: error.param };
    throw error;
  }
  return undefined;
};

describe('checkJsonSchema', () => {
  it('accepts what zodResponseFormat writes for objects, arrays, enums, nullables and ints', () => {
    const format = zodResponseFormat(
      z.object({
        name: z.string().max(5),
        age: z.number().int(),
        tags: z.array(z.string()).max(3),
        kind: z.enum(['a', 'b']),
        nick: z.string().max(5).nullable(),
        alias: z.string().nullable(),
        inner: z.object({ ok: z.boolean() }),
      }),
      'x',
    );
    const checked = checkJsonSchema(format.json_schema.schema, 's') as {
      properties: Record<string, { type?: unknown; oneOf?: unknown[]; anyOf?: unknown }>;
    };
    expect(checked.properties.nick).toEqual({ oneOf: [{ type: 'string', maxLength: 5 }, { type: 'null' }] });
    expect(checked.properties.alias!.type).toEqual(['string', 'null']);
    expect(checked.properties.age!.type).toBe('integer');
  });

  it('turns anyOf into the grammar union and resolves $defs', () => {
    const checked = checkJsonSchema(
      {
        $defs: { n: { type: 'number' } },
        type: 'object',
        properties: { a: { anyOf: [{ $ref: '#/$defs/n' }, { type: 'null' }] } },
      },
      's',
    ) as { properties: Record<string, { type?: unknown; oneOf?: unknown[]; anyOf?: unknown }> };
    expect(checked.properties.a!.oneOf).toHaveLength(2);
    expect(checked.properties.a!.anyOf).toBeUndefined();
  });

  it.each([
    [{ type: 'integer', minimum: 1 }, 's.minimum', 'unsupported_value'],
    [{ type: 'number', maximum: 9007199254740991 }, 's.maximum', 'unsupported_value'],
    [{ type: 'string', pattern: 'a' }, 's.pattern', 'unsupported_value'],
    [{ type: 'string', format: 'uuid' }, 's.format', 'unsupported_value'],
    [{ type: 'string', format: 'date', minLength: 3 }, 's.minLength', 'unsupported_value'],
    [{ oneOf: [{ type: 'string' }] }, 's.oneOf', 'unsupported_value'],
    [{ type: ['object', 'null'] }, 's.type', 'unsupported_value'],
    [
      { type: 'object', properties: { a: { type: 'string' } }, maxProperties: 0 },
      's.maxProperties',
      'unsupported_value',
    ],
    [{ type: 'object', patternProperties: {} }, 's.patternProperties', 'unsupported_value'],
    [
      { type: 'array', items: { type: 'string' }, contains: { const: 'a' } },
      's.contains',
      'unsupported_value',
    ],
    [
      { $ref: '#/definitions/x', definitions: { x: { type: 'string' } } },
      's.definitions',
      'unsupported_value',
    ],
    [{ $ref: '#/$defs/x' }, 's.$ref', 'invalid_value'],
    [{ type: 'object', properties: { a: {} } }, 's.properties.a', 'invalid_value'],
    [{ type: 'object', required: ['b'] }, 's.required', 'invalid_value'],
    [{ enum: [{ a: 1 }] }, 's.enum', 'invalid_value'],
    [{ type: 'string', const: 3 }, 's.const', 'invalid_value'],
    [{ type: 'thing' }, 's.type', 'invalid_value'],
    [true, 's', 'invalid_value'],
  ])('refuses %j at %s', (schema, param, code) => {
    expect(refusal(schema)).toEqual({ code, param });
  });

  // Found by fuzzing (test/reliability/fuzz-runtime.test.ts): both were 500s.
  it('refuses nesting deeper than the grammar builder takes, at the first level too deep', () => {
    const nested = (depth: number): unknown =>
      depth === 0 ? { type: 'string' } : { type: 'object', properties: { a: nested(depth - 1) } };
    expect(refusal(nested(64))).toBeUndefined();
    expect(refusal(nested(5_000))).toEqual({
      code: 'invalid_value',
      param: `s${'.properties.a'.repeat(65)}`,
    });
  });

  it('refuses $ref chains that come back without writing a value (left recursion)', () => {
    expect(
      refusal({ $defs: { x: { $ref: '#/$defs/y' }, y: { $ref: '#/$defs/x' } }, $ref: '#/$defs/x' }),
    ).toEqual({ code: 'invalid_value', param: 's.$defs.x.$ref' });
    expect(
      refusal({ $defs: { n: { anyOf: [{ $ref: '#/$defs/n' }, { type: 'string' }] } }, $ref: '#/$defs/n' }),
    ).toEqual({ code: 'invalid_value', param: 's.$defs.n.anyOf[0].$ref' });
    // Recursion through an object writes a value first: a tree is fine.
    expect(
      refusal({
        $defs: {
          node: {
            type: 'object',
            properties: { next: { anyOf: [{ $ref: '#/$defs/node' }, { type: 'null' }] } },
          },
        },
        $ref: '#/$defs/node',
      }),
    ).toBeUndefined();
  });

  it('accepts annotations and the three string formats', () => {
    for (const format of ['date', 'time', 'date-time'])
      expect(
        refusal({ type: 'string', format, title: 't', description: 'd', examples: ['x'] }),
      ).toBeUndefined();
  });
});
