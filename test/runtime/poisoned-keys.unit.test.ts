import { describe, expect, it } from 'vitest';
import { poisonedKeyParam } from '../../runtime/server/poisoned-keys.js';

describe('poisonedKeyParam', () => {
  it('finds __proto__ and constructor.prototype keys anywhere, naming their path', () => {
    expect(poisonedKeyParam(JSON.parse('{"a":1,"__proto__":{}}'))).toBe('__proto__');
    expect(poisonedKeyParam(JSON.parse('{"stream":{"__proto__":0}}'))).toBe('stream.__proto__');
    expect(poisonedKeyParam(JSON.parse('{"m":[{"x":1},{"constructor":{"prototype":1}}]}'))).toBe(
      'm[1].constructor',
    );
    expect(poisonedKeyParam(JSON.parse('[[{"__proto__":null}]]'))).toBe('[0][0].__proto__');
  });

  it('leaves plain bodies and a constructor without a prototype alone', () => {
    expect(
      poisonedKeyParam(JSON.parse('{"constructor":"x","proto":{"__proto":1},"a":[1,"__proto__"]}')),
    ).toBe(undefined);
    expect(poisonedKeyParam('text')).toBe(undefined);
    expect(poisonedKeyParam(null)).toBe(undefined);
  });

  it('walks a body nested 100,000 deep without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}{"__proto__":1}${']'.repeat(100_000)}`);
    expect(poisonedKeyParam(deep)?.endsWith('[0].__proto__')).toBe(true);
  });
});
