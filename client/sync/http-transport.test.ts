import { describe, expect, it } from 'vitest';
import type { LiveMessage } from '../../shared/index.ts';
import { FakeServer } from '../testing/fake-server.ts';
import { until } from '../testing/harness.ts';
import { todo } from '../testing/todo-app.ts';
import { httpTransport } from './http-transport.ts';
import type { TransportFailure } from './transport.ts';

const command = (seq: number, itemId: string) => ({
  id: `c${seq}`,
  seq,
  name: 'add',
  args: { listId: 'a', itemId, text: '' },
  at: 1,
  baseSeq: 0,
});

describe('httpTransport', () => {
  it('sends the protocol header and the bearer token, and parses answers', async () => {
    const server = new FakeServer(todo);
    const seen: Request[] = [];
    const transport = httpTransport({
      url: 'http://sync.test/',
      auth: async () => 'demo:ann',
      fetch: (request) => {
        seen.push(request);
        return server.handle(request);
      },
    });
    const pushed = await transport.push({ clientId: 'k', commands: [command(1, 'x')] });
    expect(pushed).toMatchObject({ ok: true, value: { results: [{ id: 'c1', status: 'applied' }] } });
    const pulled = await transport.pull('list:a', 0, 10);
    expect(pulled).toMatchObject({ ok: true, value: { scope: 'list:a', head: 1, more: false } });
    expect(
      seen.map((r) => [
        r.method,
        new URL(r.url).pathname,
        r.headers.get('authorization'),
        r.headers.get('weft-protocol'),
      ]),
    ).toEqual([
      ['POST', '/v1/push', 'Bearer demo:ann', '1'],
      ['GET', '/v1/pull', 'Bearer demo:ann', '1'],
    ]);
    expect(new URL(seen[1]?.url ?? '').search).toBe('?scope=list%3Aa&after=0&limit=10');
  });

  it('returns failures as data: error bodies with their details, bad answers, network errors', async () => {
    const answer = (response: () => Response) => httpTransport({ url: 'http://x', fetch: async () => response() });
    const gap = await answer(() =>
      Response.json({ error: { code: 'seq_gap', message: 'gap', expected: 4 } }, { status: 409 }),
    ).push({
      clientId: 'k',
      commands: [],
    });
    expect(gap).toEqual({
      ok: false,
      failure: { kind: 'http', status: 409, code: 'seq_gap', message: 'gap', details: { expected: 4 } },
    });
    const proxy = await answer(() => new Response('<html>', { status: 502, statusText: 'Bad Gateway' })).pull(
      's',
      0,
      1,
    );
    expect(proxy).toMatchObject({ ok: false, failure: { kind: 'http', status: 502, code: 'http_502' } });
    const malformed = await answer(() => Response.json({ results: 'no' })).push({ clientId: 'k', commands: [] });
    expect(malformed).toMatchObject({ ok: false, failure: { kind: 'http', status: 502, code: 'bad_response' } });
    const down = await httpTransport({
      url: 'http://x',
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    }).pull('s', 0, 1);
    expect(down).toEqual({ ok: false, failure: { kind: 'network', message: 'fetch failed' } });
  });

  it('follows the live stream, and reports how it ended', async () => {
    const server = new FakeServer(todo);
    const transport = httpTransport({ url: 'http://x', fetch: server.handle });
    await transport.push({ clientId: 'k', commands: [command(1, 'x')] });
    const messages: LiveMessage[] = [];
    const ends: Array<TransportFailure | null> = [];
    let opened = 0;
    const close = transport.live(
      { 'list:a': 0 },
      { open: () => opened++, message: (m) => messages.push(m), closed: (f) => ends.push(f) },
    );
    await until(() => messages.length === 1, 'the backlog');
    await transport.push({ clientId: 'k', commands: [command(2, 'y')] });
    await until(() => messages.length === 2, 'a live event');
    expect(messages.map((m) => m.events.map((e) => e.seq))).toEqual([[1], [2]]);
    close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect({ opened, ends }).toEqual({ opened: 1, ends: [] });

    transport.live({ 'list:a': 9 }, { open: () => opened++, message: () => undefined, closed: (f) => ends.push(f) });
    await until(() => ends.length === 1, 'a refused stream');
    expect(ends[0]).toMatchObject({ kind: 'http', status: 409, code: 'cursor_ahead', details: { scope: 'list:a' } });
  });

  it('ignores heartbeats and other message kinds, and ends with null when the server closes the stream', async () => {
    const event = { seq: 1, scope: 's', type: 'added', data: {}, commandId: 'c', clientId: 'k', at: 1 };
    const body = `event: ready\ndata: {}\n\n: comment\n\nevent: heartbeat\ndata: {}\n\nevent: events\ndata: ${JSON.stringify({ scope: 's', events: [event], head: 1 })}\n\n`;
    const transport = httpTransport({ url: 'http://x', fetch: async () => new Response(body) });
    const got: unknown[] = [];
    transport.live(
      { s: 0 },
      { open: () => got.push('open'), message: (m) => got.push(m.head), closed: (f) => got.push(f) },
    );
    await until(() => got.length === 3, 'the stream to end');
    expect(got).toEqual(['open', 1, null]);
  });
});
