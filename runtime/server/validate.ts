// Checks a request body against its schema and turns the first problem into an OpenAI-shaped error
// whose message and `param` name the offending field (`messages[0].content`).
import type { z } from 'zod';
import { ApiError } from './errors.js';

/** Fields we accept but only with OpenAI's default, since the runtime does not implement the rest. */
const UNSUPPORTED: Record<string, string> = {
  n: "only 'n': 1 is supported",
  logprobs: 'logprobs are not supported',
  tools: 'tools are not supported',
  echo: 'echo is not supported',
  suffix: 'suffix is not supported',
};

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

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : JSON.stringify(value);
}

function toApiError(issue: z.core.$ZodIssue, body: unknown): ApiError {
  const param = paramName(issue.path);
  const value = valueAt(body, issue.path);
  const top = String(issue.path[0] ?? '');
  if (issue.path.length === 1 && top in UNSUPPORTED && value !== undefined) {
    return new ApiError('unsupported_value', `Unsupported value for '${param}': ${UNSUPPORTED[top]}.`, param);
  }
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined)
        return new ApiError('missing_required_parameter', `Missing required parameter: '${param}'.`, param);
      return new ApiError(
        'invalid_type',
        `Invalid type for '${param}': expected ${issue.expected}, but got ${describe(value)}.`,
        param,
      );
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
      const what = Array.isArray(value) ? `expected ${bound} items` : `expected a value ${bound}`;
      return new ApiError(
        'invalid_value',
        `Invalid value for '${param}': ${what}, but got ${describe(Array.isArray(value) ? value.length : value)}.`,
        param,
      );
    }
    case 'invalid_value':
      return new ApiError(
        'invalid_value',
        `Invalid value for '${param}': ${describe(value)}; supported values are ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`,
        param,
      );
    case 'invalid_union': {
      if (value === undefined)
        return new ApiError('missing_required_parameter', `Missing required parameter: '${param}'.`, param);
      // A branch that took the value's type but failed a constraint says more than "wrong type".
      const near = issue.errors.flat().find((nested) => nested.code !== 'invalid_type');
      if (near) {
        const path = near.path.length >= issue.path.length ? near.path : [...issue.path, ...near.path];
        return toApiError({ ...near, path } as z.core.$ZodIssue, body);
      }
      return new ApiError('invalid_type', `Invalid type for '${param}': got ${describe(value)}.`, param);
    }
    default:
      return new ApiError('invalid_value', `Invalid value for '${param}': ${issue.message}.`, param);
  }
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError('invalid_type', `The request body must be a JSON object, but got ${describe(body)}.`);
  }
  const result = schema.safeParse(body);
  if (!result.success) throw toApiError(result.error.issues[0]!, body);
  return result.data;
}
