// Keys that a later merge of the body could turn into prototype pollution: `__proto__` anywhere, and
// `constructor` holding a `prototype`. fastify's JSON parser refused them as "not valid JSON", naming
// nothing (found by fuzzing); the body is parsed plainly (JSON.parse makes them own properties, harmless
// until something merges them), and this refuses them naming where they are, before any route reads it.
import { ApiError } from './errors.js';
import { paramName } from './validate.js';

interface Visit {
  readonly value: unknown;
  readonly key?: PropertyKey;
  readonly parent?: Visit;
}

function isPoisoned(key: string, value: unknown): boolean {
  return (
    key === '__proto__' ||
    (key === 'constructor' &&
      value !== null &&
      typeof value === 'object' &&
      Object.hasOwn(value, 'prototype'))
  );
}

/** Where the first such key is, as a param (`messages[0].__proto__`); undefined when there is none. */
export function poisonedKeyParam(body: unknown): string | undefined {
  // Iterative: bodies may nest thousands deep.
  const stack: Visit[] = [{ value: body }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const { value } = visit;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: i, parent: visit });
      continue;
    }
    for (const [key, child] of Object.entries(value)) {
      if (isPoisoned(key, child)) {
        const path: PropertyKey[] = [key];
        for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) path.unshift(at.key);
        return paramName(path);
      }
      stack.push({ value: child, key, parent: visit });
    }
  }
  return undefined;
}

export function refusePoisonedKeys(body: unknown): void {
  const param = poisonedKeyParam(body);
  if (param !== undefined)
    throw new ApiError(
      'invalid_value',
      `Invalid key in the request body at '${param}': "__proto__" and "constructor.prototype" keys are refused.`,
      param,
    );
}
