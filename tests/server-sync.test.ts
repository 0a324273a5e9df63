import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullResponse, WireEvent } from '../shared/index.ts';
import { api, commandFactory } from './support/http.ts';
import { seedBoard } from './support/kanban.ts';
import { type RunningServer, startServer, tempDir } from './support/server-process.ts';
import { openLive } from './support/sse.ts';

let server: RunningServer;
const temp = tempDir();

beforeAll(async () => {
  server = await startServer(`${temp.dir}/sync.db`);
});
afterAll(async () => {
  await server.stop();
  temp.dispose();
});

describe('push → pull → live', () => {
  it('confirms a push with seqs, serves it by pull, and streams it live from any cursor', async () => {
    const board = await seedBoard(server.url, 'ann', 'ann-1', 'rt');
    const pulled = await board.client.get<PullResponse>(`/v1/pull?scope=${encodeURIComponent(board.scope)}&after=0`);
    expect(pulled.status).toBe(200);
    expect(pulled.json.head).toBe(3);
    expect(pulled.json.more).toBe(false);
    expect(pulled.json.events.map((e) => [e.seq, e.type, e.clientId])).toEqual([
      [1, 'boardCreated', 'ann-1'],
      [2, 'columnAdded', 'ann-1'],
      [3, 'columnAdded', 'ann-1'],
    ]);

    const live = await openLive(server.url, 'demo:bob', [`${board.scope}:1`]);
    expect(live.status).toBe(200);
    expect(live.response.headers.get('content-type')).toMatch(/text\/event-stream/u);
    await live.until((m) => m.flatMap((x) => x.events).length === 2);

    const add = board.commands.next('addCard', { boardId: 'rt', cardId: 'k1', columnId: board.todo, title: 'Write' });
    const pushed = await board.client.push({ clientId: 'ann-1', commands: [add] });
    expect(pushed.status).toBe(200);
    expect(pushed.json.results).toEqual([
      expect.objectContaining({
        id: add.id,
        seq: add.seq,
        status: 'applied',
        events: [expect.objectContaining({ seq: 4, type: 'cardAdded' })],
      }),
    ]);
    await live.until((m) => m.flatMap((x) => x.events).some((e) => e.seq === 4));
    const streamed = live.messages.flatMap((x) => x.events).map((e) => e.seq);
    expect(streamed).toEqual([2, 3, 4]);
    expect(live.messages.at(-1)?.head).toBe(4);
    await live.close();
  });

  it('pages a pull with limit and reports more', async () => {
    const board = await seedBoard(server.url, 'ann', 'ann-2', 'paged');
    const first = await board.client.get<PullResponse>(
      `/v1/pull?scope=${encodeURIComponent(board.scope)}&after=0&limit=2`,
    );
    expect(first.json.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(first.json.more).toBe(true);
    const second = await board.client.get<PullResponse>(
      `/v1/pull?scope=${encodeURIComponent(board.scope)}&after=2&limit=2`,
    );
    expect(second.json.events.map((e) => e.seq)).toEqual([3]);
    expect(second.json.more).toBe(false);
  });

  it('keeps every scope gap-free and totally ordered under concurrent pushes from several clients', async () => {
    const board = await seedBoard(server.url, 'ann', 'ann-3', 'busy');
    const live = await openLive(server.url, 'demo:watcher', [`${board.scope}:0`, 'board:quiet:0']);
    const writers = Array.from({ length: 6 }, (_, w) => ({
      clientId: `w${w}`,
      commands: commandFactory(`w${w}`),
      client: api(server.url, `demo:user${w}`),
    }));
    const rounds = 10;
    await Promise.all(
      writers.map(async (writer, w) => {
        for (let round = 0; round < rounds; round++) {
          const batch = [0, 1].map((i) =>
            writer.commands.next('addCard', {
              boardId: 'busy',
              cardId: `c${w}-${round}-${i}`,
              columnId: board.todo,
              title: `card ${i}`,
            }),
          );
          const res = await writer.client.push({ clientId: writer.clientId, commands: batch });
          expect(res.status).toBe(200);
          expect(res.json.results.every((r) => r.status === 'applied')).toBe(true);
        }
      }),
    );
    const total = 3 + writers.length * rounds * 2;
    const pulled = await board.client.get<PullResponse>(
      `/v1/pull?scope=${encodeURIComponent(board.scope)}&after=0&limit=10000`,
    );
    const seqs = pulled.json.events.map((e: WireEvent) => e.seq);
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(new Set(pulled.json.events.map((e) => e.commandId)).size).toBe(total);
    // Each client's commands appear in its own order.
    for (const writer of writers) {
      const own = pulled.json.events
        .filter((e) => e.clientId === writer.clientId)
        .map((e) => Number(e.commandId.split('-c')[1]));
      expect(own).toEqual([...own].sort((a, b) => a - b));
    }
    await live.until((m) => m.filter((x) => x.scope === board.scope).flatMap((x) => x.events).length === total);
    expect(live.messages.flatMap((x) => x.events).map((e) => e.seq)).toEqual(seqs);
    await live.close();
  });

  it('answers health without a token', async () => {
    const res = await api(server.url, null).get<{ ok: boolean; store: string; version: string }>('/v1/health');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: true, store: 'sqlite' });
    expect(typeof res.json.version).toBe('string');
  });
});
