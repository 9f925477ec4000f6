// LlamaModel specs generated from the schema itself (operator/api/llama-model.ts, TypeBox = JSON
// Schema): strings from their patterns and enums, numbers in and out of their ranges, int-or-string
// both ways, arrays up to and past maxItems, records, opaque objects with plausible and odd content.
// A spec is a user's minimal one with one to three fields set anywhere in the tree: "valid-minded"
// (values from the schema; CEL rules across fields may still refuse it) or "invalid-minded" (each
// leaf sometimes a wrong type, out of range, or off-pattern), half and half.
import fc from 'fast-check';

type Schema = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  patternProperties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  maxProperties?: number;
};

const ODD = fc.constantFrom<unknown>(
  null,
  '',
  ' ',
  'NaN',
  '-1',
  '1e400',
  '\u0000',
  '\uFEFF',
  'ü🦙',
  '$(HOME)',
  -1,
  1.5,
  2 ** 31,
  2 ** 53,
  -(2 ** 53),
  true,
  [],
  {},
  [1, 'a'],
  { a: { b: 1 } },
);

/** Plausible content of an opaque object (tolerations, affinity, valueFrom), valid or not. */
const opaque: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      key: fc.oneof(fc.constantFrom('dedicated', 'nvidia.com/gpu', ''), fc.string({ maxLength: 10 })),
      operator: fc.oneof(fc.constantFrom('Equal', 'Exists'), fc.string({ maxLength: 6 })),
      value: fc.string({ maxLength: 10 }),
      effect: fc.oneof(
        fc.constantFrom('NoSchedule', 'PreferNoSchedule', 'NoExecute', ''),
        fc.string({ maxLength: 6 }),
      ),
      tolerationSeconds: fc.oneof(fc.integer(), ODD),
    },
    { requiredKeys: [] },
  ),
  fc.constant({
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
      },
    },
  }),
  fc.record({
    secretKeyRef: fc.record({ name: fc.string({ maxLength: 10 }), key: fc.string({ maxLength: 10 }) }),
  }),
  fc.record({ fieldRef: fc.record({ fieldPath: fc.constantFrom('metadata.name', 'status.podIP', 'nope') }) }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

function matching(pattern: string, maxLength: number | undefined): fc.Arbitrary<string> {
  const max = maxLength ?? 64;
  // Cut, not filtered (filtering long patterns' output is slow): a cut string may leave the pattern,
  // which only adds to the invalid mix.
  return fc.stringMatching(new RegExp(pattern)).map((s) => s.slice(0, max));
}

function validString(schema: Schema): fc.Arbitrary<string> {
  if (schema.enum) return fc.constantFrom(...(schema.enum as string[]));
  if (schema.pattern) return matching(schema.pattern, schema.maxLength);
  return fc.string({
    minLength: schema.minLength ?? 0,
    maxLength: Math.min(schema.maxLength ?? 24, 24),
    unit: 'grapheme',
  });
}

function validInteger(schema: Schema): fc.Arbitrary<number> {
  const min = schema.minimum ?? -(2 ** 31);
  const max = schema.maximum ?? 2 ** 31;
  // The bounds themselves, and small values (what users write), more often than the middle.
  return fc.oneof(
    fc.constantFrom(min, max),
    fc.integer({ min, max: Math.min(max, min + 64) }),
    fc.integer({ min, max }),
  );
}

function invalidFor(schema: Schema): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [ODD];
  if (schema.minimum !== undefined) options.push(fc.constant(schema.minimum - 1));
  if (schema.maximum !== undefined) options.push(fc.constant(schema.maximum + 1));
  if (schema.maxLength !== undefined) options.push(fc.constant('a'.repeat(schema.maxLength + 1)));
  if (schema.pattern || schema.enum) options.push(fc.string({ maxLength: 12 }));
  if (schema.maxItems !== undefined)
    options.push(fc.constant(Array.from({ length: schema.maxItems + 1 }, () => 'x')));
  return fc.oneof(...options);
}

/** Values for a schema: `bad` mixes an invalid value in at about one leaf in eight. */
export function fromSchema(schema: Schema, bad: boolean): fc.Arbitrary<unknown> {
  const valid = validFor(schema, bad);
  return bad
    ? fc.oneof({ weight: 7, arbitrary: valid }, { weight: 1, arbitrary: invalidFor(schema) })
    : valid;
}

function validFor(schema: Schema, bad: boolean): fc.Arbitrary<unknown> {
  if (schema['x-kubernetes-int-or-string']) {
    const asString = schema.pattern ? matching(schema.pattern, 16) : fc.string({ maxLength: 8 });
    const asInt = validInteger({ minimum: 0, maximum: 4096, ...schema });
    return fc.oneof(asString, asInt);
  }
  if (schema['x-kubernetes-preserve-unknown-fields']) return opaque;
  switch (schema.type) {
    case 'object': {
      if (schema.patternProperties) {
        const [value] = Object.values(schema.patternProperties);
        return fc.dictionary(
          fc.oneof(
            fc.constantFrom('cpu', 'memory', 'ephemeral-storage', 'pool'),
            fc.string({ maxLength: 12 }),
          ),
          fromSchema(value!, bad),
          { maxKeys: Math.min(schema.maxProperties ?? 3, 3) },
        );
      }
      const properties = schema.properties ?? {};
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, property] of Object.entries(properties)) record[key] = fromSchema(property, bad);
      const required = (schema.required ?? []).filter(() => true);
      // Invalid-minded specs sometimes leave a required field out.
      return fc.record(record, { requiredKeys: bad ? [] : required });
    }
    case 'array':
      return fc.array(fromSchema(schema.items!, bad), { maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'string':
      return validString(schema);
    case 'integer':
      return validInteger(schema);
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}

/** Every field of an object schema (nested objects too, not records), with its path. */
function fieldsOf(schema: Schema, prefix: string[] = []): Array<{ path: string[]; schema: Schema }> {
  const out: Array<{ path: string[]; schema: Schema }> = [];
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    const path = [...prefix, key];
    out.push({ path, schema: property });
    if (property.type === 'object' && property.properties) out.push(...fieldsOf(property, path));
  }
  return out;
}

function setAt(target: Record<string, unknown>, path: string[], value: unknown): void {
  let at = target;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[path.at(-1)!] = value;
}

/**
 * Specs for LlamaModelSpecSchema: a spec a user would write (only the source) with one to three
 * fields, anywhere in the tree, set from their schema — valid-minded (values from the schema; CEL
 * rules across fields may still refuse them) or invalid-minded (about one leaf in eight wrong).
 */
export function llamaModelSpec(
  spec: Schema,
  base: Record<string, unknown>,
): fc.Arbitrary<{ bad: boolean; spec: unknown; fields: string[] }> {
  const fields = fieldsOf(spec);
  // Built once each: building the pattern arbitraries per sample is slow.
  const valid = fields.map((f) => fromSchema(f.schema, false));
  const bad = fields.map((f) => fromSchema(f.schema, true));
  return fc
    .tuple(fc.boolean(), fc.uniqueArray(fc.nat(fields.length - 1), { minLength: 1, maxLength: 3 }))
    .chain(([isBad, picked]) =>
      fc.tuple(...picked.map((i) => (isBad ? bad[i]! : valid[i]!))).map((values) => {
        const out = structuredClone(base);
        for (const [n, i] of picked.entries()) setAt(out, fields[i]!.path, values[n]);
        return { bad: isBad, spec: out, fields: picked.map((i) => fields[i]!.path.join('.')) };
      }),
    );
}
