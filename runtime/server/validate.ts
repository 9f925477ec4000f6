// Checks a request body against its schema and turns the first problem into an OpenAI-shaped error
// whose message and `param` name the offending field (`messages[0].content`). A field the
// endpoint's list (request-fields.ts) does not know is refused before the schema is looked at.
import type { z } from 'zod';
import { ApiError } from './errors.js';
import { type FieldRule, unknownField } from './request-fields.js';

type Fields = Readonly<Record<string, FieldRule>>;

export function paramName(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/**
 * A value from a request, as an error message shows it: containers by kind only (a deeply nested
 * one overflows JSON.stringify's stack — found by fuzzing).
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : JSON.stringify(value);
}

function toApiError(issue: z.core.$ZodIssue, body: unknown, fields: Fields): ApiError {
  const param = paramName(issue.path);
  const value = valueAt(body, issue.path);
  const top = String(issue.path[0] ?? '');
  const rule = Object.hasOwn(fields, top) ? fields[top] : undefined;
  if (issue.path.length === 1 && rule?.use === 'default-only' && value !== undefined) {
    return new ApiError('unsupported_value', `Unsupported value for '${param}': ${rule.note}.`, param);
  }
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined)
        return new ApiError('missing_required_parameter', `Missing required parameter: '${param}'.`, param);
      return new ApiError(
        'invalid_type',
        `Invalid type for '${param}': expected ${issue.expected}, but got ${describeValue(value)}.`,
        param,
      );
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
      const what = Array.isArray(value) ? `expected ${bound} items` : `expected a value ${bound}`;
      return new ApiError(
        'invalid_value',
        `Invalid value for '${param}': ${what}, but got ${describeValue(Array.isArray(value) ? value.length : value)}.`,
        param,
      );
    }
    case 'invalid_value':
      return new ApiError(
        'invalid_value',
        `Invalid value for '${param}': ${describeValue(value)}; supported values are ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`,
        param,
      );
    case 'invalid_union': {
      // A discriminated union (messages by role, response_format by type) names the tag's values.
      if ('options' in issue && Array.isArray(issue.options)) {
        return new ApiError(
          'invalid_value',
          `Invalid value for '${param}': ${describeValue(value)}; supported values are ${issue.options.map((v) => JSON.stringify(v)).join(', ')}.`,
          param,
        );
      }
      if (value === undefined)
        return new ApiError('missing_required_parameter', `Missing required parameter: '${param}'.`, param);
      // A branch that took the value's type but failed a constraint says more than "wrong type".
      const near = issue.errors.flat().find((nested) => nested.code !== 'invalid_type');
      if (near) {
        const path = near.path.length >= issue.path.length ? near.path : [...issue.path, ...near.path];
        return toApiError({ ...near, path } as z.core.$ZodIssue, body, fields);
      }
      return new ApiError('invalid_type', `Invalid type for '${param}': got ${describeValue(value)}.`, param);
    }
    default:
      return new ApiError('invalid_value', `Invalid value for '${param}': ${issue.message}.`, param);
  }
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown, fields: Fields = {}): z.infer<S> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(
      'invalid_type',
      `The request body must be a JSON object, but got ${describeValue(body)}.`,
    );
  }
  if (Object.keys(fields).length > 0) {
    const unknown = unknownField(body, fields);
    if (unknown !== undefined)
      throw new ApiError(
        'unknown_parameter',
        `Unrecognized request argument supplied: '${unknown}'.`,
        unknown,
      );
  }
  const result = schema.safeParse(body);
  if (!result.success) throw toApiError(result.error.issues[0]!, body, fields);
  return result.data;
}
