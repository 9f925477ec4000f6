// Which JSON Schema keywords node-llama-cpp's grammar (LlamaJsonSchemaGrammar, 3.21.1) enforces.
// A schema is checked before any grammar is built: a keyword the grammar would silently ignore is
// refused with a 400 naming it (`response_format.json_schema.schema.properties.age.minimum`), so
// whatever the model generates under the grammar validates against the schema the client sent.
// The checked schema comes back translated: `anyOf` becomes node-llama-cpp's `oneOf` (the grammar
// is a union: exactly anyOf's meaning).
import type { GbnfJsonSchema } from 'node-llama-cpp';
import { ApiError } from './errors.js';

/** Keywords that describe and never constrain: accepted anywhere. */
const ANNOTATIONS = new Set([
  'title',
  'description',
  '$schema',
  '$id',
  '$comment',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
]);

/** Keywords the grammar enforces, by schema kind. */
const ENFORCED: Record<string, ReadonlySet<string>> = {
  object: new Set([
    'type',
    'properties',
    'required',
    'additionalProperties',
    'minProperties',
    'maxProperties',
  ]),
  array: new Set(['type', 'items', 'prefixItems', 'minItems', 'maxItems']),
  string: new Set(['type', 'minLength', 'maxLength']),
  formatString: new Set(['type', 'format']),
  scalar: new Set(['type']),
  const: new Set(['const', 'type']),
  enum: new Set(['enum', 'type']),
  anyOf: new Set(['anyOf']),
  $ref: new Set(['$ref']),
};

/** Why a keyword is refused, where a hint helps. */
const REFUSED: Record<string, string> = {
  oneOf: "the grammar can produce a value matching several branches; use 'anyOf'",
  allOf: 'the grammar cannot intersect schemas',
  not: 'the grammar cannot exclude a schema',
  pattern: 'the grammar does not enforce regular expressions',
  minimum: 'the grammar does not enforce numeric bounds',
  maximum: 'the grammar does not enforce numeric bounds',
  exclusiveMinimum: 'the grammar does not enforce numeric bounds',
  exclusiveMaximum: 'the grammar does not enforce numeric bounds',
  multipleOf: 'the grammar does not enforce multipleOf',
  uniqueItems: 'the grammar cannot keep array items unique',
  definitions: "references resolve only into '$defs'",
};

const FORMATS = new Set(['date-time', 'time', 'date']);
const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
/** zod's `.int()` writes these bounds; every integer JSON.parse returns exactly lies within them. */
const SAFE_INTEGER_BOUND = Number.MAX_SAFE_INTEGER;
/**
 * Deepest schema nesting accepted: far beyond real schemas (OpenAI allows 10 levels), far below
 * node-llama-cpp's 512 grammar scopes and the stack its recursive builders use (found by fuzzing:
 * a schema 2,000 levels deep was a 500).
 */
const MAX_SCHEMA_DEPTH = 64;

type Json = Record<string, unknown>;
type Defs = ReadonlyMap<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isPrimitive = (value: unknown) =>
  value === null || ['string', 'number', 'boolean'].includes(typeof value);

function refuse(param: string, keyword: string, why: string): never {
  const at = `${param}.${keyword}`;
  throw new ApiError(
    'unsupported_value',
    `Unsupported schema keyword '${keyword}' at '${at}': ${why}. The runtime refuses what its grammar cannot enforce.`,
    at,
  );
}

function invalid(param: string, why: string): never {
  throw new ApiError('invalid_value', `Invalid schema at '${param}': ${why}.`, param);
}

function kindOf(schema: Json, param: string): keyof typeof ENFORCED {
  if ('$ref' in schema) return '$ref';
  if ('anyOf' in schema) return 'anyOf';
  if ('const' in schema) return 'const';
  if ('enum' in schema) return 'enum';
  const type = schema.type;
  if (type === 'object' || type === 'array') return type;
  if (type === 'string') return 'format' in schema ? 'formatString' : 'string';
  if (typeof type === 'string') {
    if (!SCALAR_TYPES.has(type)) invalid(`${param}.type`, `unknown type ${JSON.stringify(type)}`);
    return 'scalar';
  }
  if (Array.isArray(type)) {
    const bad = type.find((t) => typeof t !== 'string' || !SCALAR_TYPES.has(t));
    if (bad !== undefined) {
      refuse(param, 'type', `a list of types may hold only ${[...SCALAR_TYPES].join(', ')}; use 'anyOf'`);
    }
    return 'scalar';
  }
  if (type !== undefined) invalid(`${param}.type`, 'expected a string or a list of strings');
  const known = Object.keys(schema).find((keyword) => keyword in REFUSED);
  if (known !== undefined) refuse(param, known, REFUSED[known]!);
  return invalid(param, "a schema needs 'type', 'const', 'enum', 'anyOf' or '$ref'");
}

/** zod's int range, the only numeric bounds accepted: they exclude nothing the grammar can write. */
function isSafeIntegerBound(schema: Json, keyword: string): boolean {
  const value = schema[keyword];
  if (schema.type !== 'integer' || typeof value !== 'number') return false;
  return keyword === 'minimum'
    ? value <= -SAFE_INTEGER_BOUND
    : keyword === 'maximum' && value >= SAFE_INTEGER_BOUND;
}

function checkValueMatchesType(schema: Json, values: unknown[], param: string, keyword: string): void {
  if (!values.every(isPrimitive)) invalid(`${param}.${keyword}`, 'only strings, numbers, booleans and null');
  const type = schema.type;
  if (type === undefined) return;
  const types = Array.isArray(type) ? type : [type];
  const typeOf = (v: unknown) =>
    v === null ? 'null' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;
  for (const value of values) {
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number')))
      invalid(`${param}.${keyword}`, `${JSON.stringify(value)} is not of type ${JSON.stringify(type)}`);
  }
}

function nonNegativeInt(schema: Json, keyword: string, param: string): void {
  const value = schema[keyword];
  if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 0))
    invalid(`${param}.${keyword}`, 'expected a non-negative integer');
}

/**
 * A chain of `$ref`s (through `anyOf` branches) that comes back to a definition before writing any
 * value: left recursion, which llama.cpp's grammar parser refuses (found by fuzzing: a 500).
 * Depth-first over definition names; `clean` holds the names already seen to end.
 */
function leftRecursion(
  schema: unknown,
  scope: Defs,
  chain: string[],
  clean: Set<string>,
): string[] | undefined {
  if (!isObject(schema)) return undefined;
  if (typeof schema.$ref === 'string' && schema.$ref.startsWith('#/$defs/')) {
    const name = schema.$ref.slice(8);
    if (chain.includes(name)) return [...chain, name];
    if (clean.has(name)) return undefined;
    const found = leftRecursion(scope.get(name), scope, [...chain, name], clean);
    if (!found) clean.add(name);
    return found;
  }
  if (Array.isArray(schema.anyOf)) {
    for (const branch of schema.anyOf) {
      const found = leftRecursion(branch, scope, chain, clean);
      if (found) return found;
    }
  }
  return undefined;
}

function check(schema: unknown, param: string, defs: Defs, depth: number): GbnfJsonSchema {
  if (depth > MAX_SCHEMA_DEPTH)
    invalid(param, `nested more than ${MAX_SCHEMA_DEPTH} schemas deep, more than the grammar builder takes`);
  if (!isObject(schema)) invalid(param, 'expected a JSON object');
  const scope = new Map(defs);
  if ('$defs' in schema) {
    if (!isObject(schema.$defs)) invalid(`${param}.$defs`, 'expected an object');
    for (const name of Object.keys(schema.$defs)) scope.set(name, schema.$defs[name]);
  }
  const kind = kindOf(schema, param);
  const enforced = ENFORCED[kind]!;
  for (const keyword of Object.keys(schema)) {
    if (keyword === '$defs' || ANNOTATIONS.has(keyword) || enforced.has(keyword)) continue;
    if (isSafeIntegerBound(schema, keyword)) continue;
    refuse(param, keyword, REFUSED[keyword] ?? `the grammar does not enforce it for this schema (${kind})`);
  }
  const out: Json = { ...schema };
  if ('$defs' in schema) {
    const $defs: Json = {};
    for (const [name, def] of Object.entries(schema.$defs as Json))
      $defs[name] = check(def, `${param}.$defs.${name}`, scope, depth + 1);
    out.$defs = $defs;
  }
  switch (kind) {
    case '$ref': {
      const ref = schema.$ref;
      const name = typeof ref === 'string' && ref.startsWith('#/$defs/') ? ref.slice(8) : undefined;
      if (name === undefined || !scope.has(name))
        invalid(
          `${param}.$ref`,
          `${JSON.stringify(ref)} must point into an enclosing '$defs' ('#/$defs/<name>')`,
        );
      const cycle = leftRecursion(schema, scope, [], new Set());
      if (cycle)
        invalid(
          `${param}.$ref`,
          `the references ${cycle.join(' → ')} come back without writing a value (left recursion), which no grammar can generate`,
        );
      break;
    }
    case 'anyOf': {
      if (!Array.isArray(schema.anyOf) || schema.anyOf.length === 0)
        invalid(`${param}.anyOf`, 'expected a non-empty array of schemas');
      delete out.anyOf;
      out.oneOf = schema.anyOf.map((branch, i) => check(branch, `${param}.anyOf[${i}]`, scope, depth + 1));
      break;
    }
    case 'const':
      checkValueMatchesType(schema, [schema.const], param, 'const');
      break;
    case 'enum':
      if (!Array.isArray(schema.enum) || schema.enum.length === 0)
        invalid(`${param}.enum`, 'expected a non-empty array');
      checkValueMatchesType(schema, schema.enum, param, 'enum');
      break;
    case 'object': {
      const properties = schema.properties ?? {};
      if (!isObject(properties)) invalid(`${param}.properties`, 'expected an object');
      const checked: Json = {};
      for (const [name, property] of Object.entries(properties))
        checked[name] = check(property, `${param}.properties.${name}`, scope, depth + 1);
      if ('properties' in schema) out.properties = checked;
      if (schema.required !== undefined) {
        if (!Array.isArray(schema.required) || !schema.required.every((r) => typeof r === 'string'))
          invalid(`${param}.required`, 'expected an array of property names');
        // The grammar writes every listed property and nothing else required can appear.
        const missing = schema.required.find((name) => !(name in properties));
        if (missing !== undefined)
          invalid(`${param}.required`, `'${missing}' is required but not among 'properties'`);
      }
      const additional = schema.additionalProperties;
      if (additional !== undefined && typeof additional !== 'boolean')
        out.additionalProperties = check(additional, `${param}.additionalProperties`, scope, depth + 1);
      nonNegativeInt(schema, 'minProperties', param);
      nonNegativeInt(schema, 'maxProperties', param);
      const count = Object.keys(properties).length;
      if (typeof schema.maxProperties === 'number' && schema.maxProperties < count)
        refuse(param, 'maxProperties', `the grammar writes all ${count} properties`);
      if (typeof schema.minProperties === 'number' && schema.minProperties > count && !additional)
        invalid(`${param}.minProperties`, `more than the ${count} properties allowed`);
      break;
    }
    case 'array': {
      if (schema.items !== undefined) {
        if (typeof schema.items === 'boolean') refuse(param, 'items', 'expected a schema');
        out.items = check(schema.items, `${param}.items`, scope, depth + 1);
      }
      if (schema.prefixItems !== undefined) {
        if (!Array.isArray(schema.prefixItems))
          invalid(`${param}.prefixItems`, 'expected an array of schemas');
        out.prefixItems = schema.prefixItems.map((item, i) =>
          check(item, `${param}.prefixItems[${i}]`, scope, depth + 1),
        );
      }
      nonNegativeInt(schema, 'minItems', param);
      nonNegativeInt(schema, 'maxItems', param);
      if (
        typeof schema.maxItems === 'number' &&
        Array.isArray(schema.prefixItems) &&
        schema.maxItems < schema.prefixItems.length
      )
        invalid(`${param}.maxItems`, 'fewer than the prefixItems');
      break;
    }
    case 'string':
      nonNegativeInt(schema, 'minLength', param);
      nonNegativeInt(schema, 'maxLength', param);
      if (
        typeof schema.minLength === 'number' &&
        typeof schema.maxLength === 'number' &&
        schema.maxLength < schema.minLength
      )
        invalid(`${param}.maxLength`, 'less than minLength');
      break;
    case 'formatString':
      if (typeof schema.format !== 'string' || !FORMATS.has(schema.format))
        refuse(param, 'format', `the grammar enforces only the formats ${[...FORMATS].join(', ')}`);
      break;
    default:
      break;
  }
  return out as GbnfJsonSchema;
}

/**
 * Checks a client's JSON schema against what the grammar enforces and returns the schema to build
 * the grammar from. Throws an ApiError (400) naming the keyword's path under `param`.
 */
export function checkJsonSchema(schema: unknown, param: string): GbnfJsonSchema {
  return check(schema, param, new Map(), 0);
}
