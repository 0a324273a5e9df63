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
  it('refuses __proto__ keys and malformed text with bad_request', () => {
    for (const text of ['{"__proto__":{"x":1}}', '{"a":', 'nope']) {
      try {
        parseJsonLimited(text, limits);
        expect.unreachable(`accepted ${text}`);
      } catch (error) {
        expect(error).toBeInstanceOf(WeftError);
        expect((error as WeftError).code).toBe('bad_request');
      }
    }
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
