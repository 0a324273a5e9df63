import { describe, expect, it } from 'vitest';
import { canonicalJson, digestEvents } from './canonical-json.ts';
import { WeftError } from './errors.ts';
import { parseJsonLimited } from './json-limits.ts';

const limits = { maxDepth: 4 };

describe('parseJsonLimited', () => {
  it('parses JSON within the depth limit', () => {
    expect(parseJsonLimited('{"a":[[{"b":1}]]}', limits)).toEqual({ a: [[{ b: 1 }]] });
  });
  it('refuses nesting deeper than the limit before parsing', () => {
    expect(() => parseJsonLimited('{"a":[[[{"b":1}]]]}', limits)).toThrow(WeftError);
    expect(() => parseJsonLimited('['.repeat(100_000), limits)).toThrow(/deeper than 4/u);
  });
  it('does not count brackets inside strings', () => {
    expect(parseJsonLimited('{"a":"[[[[[[{{{{\\"]]"}', limits)).toEqual({ a: '[[[[[[{{{{"]]' });
  });
  it('refuses __proto__ keys in every spelling, and malformed text, with bad_request', () => {
    const keys = ['{"__proto__":{"x":1}}', '{"\\u005f_proto__":{"x":1}}', '{"a":[{"__pro\\u0074o__" :1}]}'];
    for (const text of [
      ...keys,
      '{"\\u005F\\u005F\\u0070\\u0072\\u006F\\u0074\\u006F\\u005F\\u005F"\n:1}',
      '{"a":',
      'nope',
    ]) {
      try {
        parseJsonLimited(text, limits);
        expect.unreachable(`accepted ${text}`);
      } catch (error) {
        expect(error).toBeInstanceOf(WeftError);
        expect((error as WeftError).code).toBe('bad_request');
      }
    }
  });
  it('accepts the string __proto__ as a value, in any spelling', () => {
    expect(parseJsonLimited('{"title":"__proto__","tags":["__proto__","\\u005f_proto__"]}', limits)).toEqual({
      title: '__proto__',
      tags: ['__proto__', '__proto__'],
    });
  });
});

describe('canonicalJson and digestEvents', () => {
  it('ignore key order and undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"x":1,"y":2}]},"b":1}',
    );
    expect(digestEvents([{ type: 't', data: { a: 1, b: 2 } }])).toBe(
      digestEvents([{ type: 't', data: { b: 2, a: 1 } }]),
    );
  });
  it('tell different events apart', () => {
    const a = digestEvents([{ type: 't', data: { rank: 'a0' } }]);
    const b = digestEvents([{ type: 't', data: { rank: 'a1' } }]);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[0-9a-f]{14}$/u);
  });
});
