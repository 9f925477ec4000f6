// Small TypeBox builders for the shapes a Kubernetes structural schema needs (string enums,
// int-or-string, quantities, CEL rules) so llama-model.ts reads like the API it declares.
import { type TSchema, type TUnsafe, Type } from '@sinclair/typebox';
import { QUANTITY_PATTERN } from '../../charts/validate.js';

/** One CEL rule as the API server expects it in `x-kubernetes-validations`. */
export interface CelRule {
  readonly rule: string;
  readonly message: string;
  /** Where the error points, e.g. `.count`; defaults to the field that carries the rule. */
  readonly fieldPath?: string;
  readonly reason?:
    | 'FieldValueInvalid'
    | 'FieldValueForbidden'
    | 'FieldValueRequired'
    | 'FieldValueDuplicate';
}

export function cel(...rules: CelRule[]): { 'x-kubernetes-validations': CelRule[] } {
  return { 'x-kubernetes-validations': rules };
}

/** A string limited to `values` (a plain `enum`, not TypeBox's anyOf of literals: structural schemas forbid that). */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description: string; default?: T[number] },
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** `x-kubernetes-int-or-string`, as controller-gen renders it. */
export function IntOrString(
  options: Record<string, unknown> & { description: string },
): TUnsafe<number | string> {
  return Type.Unsafe<number | string>({
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
    ...options,
  });
}

export function Quantity(description: string): TUnsafe<number | string> {
  // pattern checks the string form, minimum the integer form: a resource is never negative.
  return IntOrString({ description, pattern: QUANTITY_PATTERN, minimum: 0 });
}

/** An object whose contents Kubernetes validates elsewhere (e.g. affinity): kept verbatim. */
export function OpaqueObject<T>(description: string): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description });
}

/** A map of strings (labels, node selectors). */
export function StringMap(description: string, maxProperties = 64) {
  return Type.Record(
    Type.String({ maxLength: 316 }),
    Type.String({ description: 'A label value.', maxLength: 63 }),
    {
      description,
      maxProperties,
    },
  );
}

/**
 * The schema as plain JSON: TypeBox keeps its own markers under symbols and uses
 * `patternProperties` for records, which the API server does not accept; both are rewritten.
 * The TypeScript types keep defaulted fields required: they describe the object as stored.
 */
export function toOpenApi(schema: TSchema): Record<string, unknown> {
  return rewrite(JSON.parse(JSON.stringify(schema))) as Record<string, unknown>;
}

function rewrite(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewrite);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  const source = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(source)) {
    if (key === 'patternProperties') {
      const [only] = Object.values(value as Record<string, unknown>);
      out.additionalProperties = rewrite(only);
    } else if (key === 'required') {
      // A defaulted field is always present once stored, and the server checks a parent's own
      // default (`{}`) against `required` before filling nested defaults: leave such fields out.
      const properties = (source.properties ?? {}) as Record<string, { default?: unknown }>;
      const required = (value as string[]).filter((name) => properties[name]?.default === undefined);
      if (required.length > 0) out.required = required;
    } else if (key === 'additionalProperties' && value === false) {
      // Structural schemas prune unknown fields already; `false` is not allowed.
    } else {
      out[key] = rewrite(value);
    }
  }
  return out;
}
