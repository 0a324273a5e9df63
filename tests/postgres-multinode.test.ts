import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushCommand, PushResult, WireEvent } from '../shared/index.ts';
import type { FaultPoint } from '../testing/index.ts';
import { api, commandFactory } from './support/http.ts';
import { seedBoard } from './support/kanban.ts';
import { startPostgres, type TestPostgres } from './support/postgres.ts';
import { type ServerChild, startServerChild } from './support/server-child.ts';
import { openLive } from './support/sse.ts';

/**
 * Two server processes on one PostgreSQL database: pushes to one scope through both at once are
 * totally ordered without a gap, each command applied exactly once, and a live subscriber on
 * either node sees every event in order (LISTEN/NOTIFY fan-out). A node killed mid-push loses
 * nothing the other node cannot answer for.
 */
let pg: TestPostgres;
const nodes: ServerChild[] = [];

beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await pg?.stop();
});

async function node(url: string, fault?: FaultPoint) {
  const started = await startServerChild(url, fault ? { fault } : {});
  nodes.push(started);
  return started;
}

/** Pushes like a real client: a 5xx or a dropped connection is retried with the same batch. */
async function pushWithRetry(urls: string[], user: string, clientId: string, commands: PushCommand[]) {
  for (let attempt = 0; ; attempt++) {
    const url = urls[attempt % urls.length] as string;
    try {
      const res = await api(url, `demo:${user}`).push({ clientId, commands });
      if (res.status === 200) return { results: res.json.results, attempts: attempt + 1 };
      if (res.status < 500 || attempt > 20) throw new Error(`push ${res.status}: ${JSON.stringify(res.json)}`);
    } catch (error) {
      if (attempt > 20 || !(error instanceof TypeError)) throw error;
    }
  }
}

async function pullAll(url: string, scope: string): Promise<{ events: WireEvent[]; head: number }> {
  const res = await api(url, 'demo:auditor').get<{ events: WireEvent[]; head: number }>(
    `/v1/pull?scope=${encodeURIComponent(scope)}&after=0&limit=1000`,
  );
  expect(res.status).toBe(200);
  return res.json;
}

describe('PostgreSQL, two nodes', () => {
  it('orders concurrent conflicting pushes through both nodes into one gap-free stream', async () => {
    const url = await pg.createDatabase('multinode');
    const [a, b] = await Promise.all([node(url), node(url)]);
    const urls = [a.url, b.url] as const;
    const board = await seedBoard(a.url, 'owner', 'owner-1', 'shared');
    const liveA = await openLive(a.url, 'demo:watcher', [`${board.scope}:0`]);
    const liveB = await openLive(b.url, 'demo:watcher', [`${board.scope}:0`]);
    expect([liveA.status, liveB.status]).toEqual([200, 200]);

    const CLIENTS = 6;
    const ROUNDS = 4;
    const sent = new Map<string, PushCommand>();
    const results = new Map<string, PushResult[]>();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        const clientId = `client-${c}`;
        const factory = commandFactory(clientId);
        const home = urls[c % 2] as string;
        for (let round = 0; round < ROUNDS; round++) {
          const card = `${clientId}-r${round}`;
          // Everyone races for the two places of the WIP-limited column.
          const batch = [
            factory.next('addCard', { boardId: 'shared', cardId: card, columnId: board.todo, title: `card ${card}` }),
            factory.next('moveCard', { boardId: 'shared', cardId: card, toColumnId: board.doing }),
            factory.next('renameCard', { boardId: 'shared', cardId: card, title: `renamed ${card}` }),
          ];
          for (const command of batch) sent.set(command.id, command);
          const { results: answered } = await pushWithRetry([home, ...urls], clientId, clientId, batch);
          results.set(`${clientId}/${round}`, answered);
        }
      }),
    );

    const fromA = await pullAll(a.url, board.scope);
    const fromB = await pullAll(b.url, board.scope);
    expect(fromB).toEqual(fromA);
    const { events, head } = fromA;
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));

    // Every command has one outcome, its events are contiguous in the stream, and nothing ran twice.
    const answers = [...results.values()].flat();
    expect(answers).toHaveLength(sent.size);
    expect(answers.every((r) => !r.duplicate || r.status !== undefined)).toBe(true);
    const byCommand = new Map<string, WireEvent[]>();
    for (const e of events) byCommand.set(e.commandId, [...(byCommand.get(e.commandId) ?? []), e]);
    for (const answer of answers) {
      const stored = byCommand.get(answer.id) ?? [];
      if (answer.status === 'applied') {
        expect(stored).toEqual(answer.events);
        const seqs = stored.map((e) => e.seq);
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => (seqs[0] ?? 0) + i));
      } else expect(stored).toEqual([]);
    }
    const audit = await api(a.url, 'test-admin-token').get<{ records: Array<{ commandId: string }> }>(
      '/v1/audit?limit=1000',
    );
    const counted = new Map<string, number>();
    for (const r of audit.json.records) counted.set(r.commandId, (counted.get(r.commandId) ?? 0) + 1);
    for (const id of sent.keys()) expect(counted.get(id)).toBe(1);

    // One total order: replaying it never puts more than two cards in the WIP-limited column.
    const column = new Map<string, string>();
    for (const e of events) {
      const data = e.data as { cardId?: string; columnId?: string; toColumnId?: string };
      if (e.type === 'cardAdded' && data.cardId && data.columnId) column.set(data.cardId, data.columnId);
      if (e.type === 'cardMoved' && data.cardId && data.toColumnId) column.set(data.cardId, data.toColumnId);
      expect([...column.values()].filter((col) => col === board.doing).length).toBeLessThanOrEqual(2);
    }
    const moves = answers.filter((r) => sent.get(r.id)?.name === 'moveCard');
    expect(moves.filter((r) => r.status === 'applied')).toHaveLength(2);
    expect(moves.filter((r) => r.status === 'rejected').length).toBe(CLIENTS * ROUNDS - 2);

    // A live subscriber on each node saw the whole stream, once and in order.
    for (const live of [liveA, liveB]) {
      await live.until((messages) => (messages.at(-1)?.events.at(-1)?.seq ?? 0) >= head, 15_000);
      const seen = live.messages.flatMap((m) => m.events);
      expect(seen.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
      expect(seen).toEqual(events);
      await live.close();
    }
  }, 90_000);

  for (const fault of ['push.beforeCommit', 'push.afterCommit'] as const) {
    it(`applies a batch exactly once when its node is SIGKILLed at ${fault} and the client retries elsewhere`, async () => {
      const url = await pg.createDatabase(`kill_${fault.replace('.', '_').toLowerCase()}`);
      const [doomed, survivor] = await Promise.all([node(url, fault), node(url)]);
      // Seed through the survivor: the doomed node dies at its first push.
      const board = await seedBoard(survivor.url, 'owner', 'owner-1', 'k');
      const live = await openLive(survivor.url, 'demo:watcher', [`${board.scope}:0`]);
      const client = api(doomed.url, 'demo:alice');
      const factory = commandFactory('alice-1');
      const batch = [
        factory.next('addCard', { boardId: 'k', cardId: 'c1', columnId: board.todo, title: 'one' }),
        factory.next('addCard', { boardId: 'k', cardId: 'c2', columnId: board.todo, title: 'two' }),
      ];
      await expect(client.push({ clientId: 'alice-1', commands: batch })).rejects.toThrow();
      expect(await doomed.exited).toBe('SIGKILL');

      const retry = await api(survivor.url, 'demo:alice').push({ clientId: 'alice-1', commands: batch });
      expect(retry.status).toBe(200);
      expect(retry.json.results.map((r) => r.status)).toEqual(['applied', 'applied']);
      expect(retry.json.results.every((r) => r.duplicate === true)).toBe(fault === 'push.afterCommit');

      const { events, head } = await pullAll(survivor.url, board.scope);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      expect(events.filter((e) => e.clientId === 'alice-1').map((e) => e.commandId)).toEqual([
        'alice-1-c1',
        'alice-1-c2',
      ]);
      const again = await api(survivor.url, 'demo:alice').push({ clientId: 'alice-1', commands: batch });
      expect(again.json.results.every((r) => r.duplicate === true)).toBe(true);
      expect((await pullAll(survivor.url, board.scope)).head).toBe(head);

      await live.until((messages) => (messages.at(-1)?.events.at(-1)?.seq ?? 0) >= head);
      expect(live.messages.flatMap((m) => m.events)).toEqual(events);
      await live.close();
    }, 60_000);
  }
});
