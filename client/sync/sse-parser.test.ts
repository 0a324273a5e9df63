import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.ts';

describe('SseParser', () => {
  it('parses events, joins data lines and skips comments and other fields', () => {
    const parser = new SseParser();
    const text = ': heartbeat\n\nevent: events\nid: 7\ndata: {"a":\ndata: 1}\n\nretry: 10\ndata:plain\n\n';
    expect(parser.push(text)).toEqual([
      { event: 'events', data: '{"a":\n1}' },
      { event: 'message', data: 'plain' },
    ]);
  });

  it('gives the same messages however the stream is split, with LF, CR or CRLF line ends', () => {
    const message = fc.record({
      event: fc.constantFrom('events', 'heartbeat', 'message'),
      data: fc.string({ unit: fc.constantFrom('a', 'é', '{', ':', ' ', '"') }),
    });
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 5 }),
        fc.constantFrom('\n', '\r', '\r\n'),
        fc.array(fc.nat()),
        (messages, eol, cuts) => {
          const text = messages.map((m) => `: c${eol}event: ${m.event}${eol}data: ${m.data}${eol}${eol}`).join('');
          const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
          const parser = new SseParser();
          const got = [];
          let at = 0;
          for (const point of [...points, text.length]) {
            got.push(...parser.push(text.slice(at, point)));
            at = point;
          }
          expect(got).toEqual(messages);
        },
      ),
    );
  });
});
