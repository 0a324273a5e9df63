import { readFileSync } from 'node:fs';
import http from 'node:http';
import Database from 'better-sqlite3';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../client/testing/harness.ts';
import { boardScope, type KanbanApp, kanban } from '../demo/app.ts';
import { sqliteStore } from '../server/sqlite.ts';
import { applyEvent, MemoryTables, type WireEvent } from '../shared/index.ts';
import { dexieStorage, Engine, httpTransport } from '../testing/index.ts';
import { api, commandFactory } from './support/http.ts';
import { seedBoard } from './support/kanban.ts';
import { type SeenExchange, seenExchange } from './support/seen-exchange.ts';
import { startServerChild } from './support/server-child.ts';
import { startServer, tempDir } from './support/server-process.ts';

/**
 * TEST-PLAN L02 `fanout-and-initial-sync`, against real servers on loopback and SQLite files.
 * (a) A new client joins a board with a long history, seeded straight into the store in bulk:
 * it must bootstrap from the snapshot (one snapshot request, then only later events), and end
 * equal to a full replay of the stream. (b) Many live subscribers on one stream, spread over
 * users (the server allows 32 live streams per user): each receives every event once and in
 * order, and the server process's memory stays bounded. Latency is the bench's business.
 */
const HISTORY = 100_000;
const CARDS = 5000;
const SUBSCRIBERS = Number(process.env.L02_SUBSCRIBERS ?? 1000);
const MB = 1024 * 1024;

const dirs = tempDir('weft-l02-');
afterAll(() => dirs.dispose());

/** Writes `count` kanban events of board `b` straight into a SQLite store file, and replays them. */
async function seedHistory(file: string, boardId: string, count: number): Promise<MemoryTables> {
  await sqliteStore({ file }).close(); // creates the schema
  const db = new Database(file);
  const insert = db.prepare(
    'INSERT INTO events (scope, seq, type, data, command_id, client_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const scope = boardScope(boardId);
  const tables = new MemoryTables(kanban.tables);
  const columns = Array.from({ length: 10 }, (_, i) => `col${i}`);
  const eventAt = (seq: number): Omit<WireEvent, 'type' | 'data'> => ({
    seq,
    scope,
    commandId: `seed-${seq}`,
    clientId: 'seeder',
    at: 1_700_000_000_000 + seq,
  });
  const write = db.transaction(() => {
    for (let seq = 1; seq <= count; seq++) {
      let type: string;
      let data: unknown;
      if (seq === 1) [type, data] = ['boardCreated', { boardId, title: 'History' }];
      else if (seq <= 1 + columns.length) {
        const columnId = columns[seq - 2] ?? 'col0';
        [type, data] = ['columnAdded', { boardId, columnId, title: columnId, wipLimit: null, rank: `a${seq}` }];
      } else if (seq <= 1 + columns.length + CARDS) {
        const n = seq - 2 - columns.length;
        const columnId = columns[n % columns.length] ?? 'col0';
        [type, data] = ['cardAdded', { boardId, cardId: `k${n}`, columnId, title: `card ${n}`, rank: `a${n}` }];
      } else if (seq % 5 === 0) {
        const n = seq % CARDS;
        const toColumnId = columns[(seq >> 3) % columns.length] ?? 'col0';
        [type, data] = ['cardMoved', { cardId: `k${n}`, fromColumnId: 'col0', toColumnId, rank: `b${seq}` }];
      } else {
        [type, data] = ['cardRenamed', { cardId: `k${seq % CARDS}`, title: `title ${seq}` }];
      }
      const event = { ...eventAt(seq), type, data };
      insert.run(scope, seq, type, JSON.stringify(data), event.commandId, event.clientId, event.at);
      applyEvent(kanban, tables, event);
    }
    db.prepare('INSERT INTO heads (scope, head) VALUES (?, ?)').run(scope, count);
  });
  write();
  db.close();
  return tables;
}

type Seen = SeenExchange;

describe('L02 fan-out and initial sync', () => {
  it(`a new client joining a stream of ${HISTORY.toLocaleString('en')} events bootstraps from the snapshot, not a full replay`, async () => {
    const file = `${dirs.dir}/history.db`;
    const truth = await seedHistory(file, 'old', HISTORY);
    const server = await startServer(file);
    const engines: Engine<KanbanApp>[] = [];
    try {
      const seen: Seen[] = [];
      const transport = httpTransport({
        url: server.url,
        auth: 'demo:newcomer',
        fetch: async (request) => {
          const res = await fetch(request);
          seen.push(await seenExchange(request, res));
          return res;
        },
      });
      const scope = boardScope('old');
      const engine = await Engine.open({
        app: kanban,
        storage: dexieStorage({ name: 'weft', tables: kanban.tables, indexedDB: new IDBFactory(), IDBKeyRange }),
        transport,
        scopes: [scope],
        syncOptions: { backoff: { baseMs: 5, maxMs: 200 } },
      });
      engines.push(engine);
      await until(() => engine.query({ table: 'cards' }).length === CARDS, 'the bootstrap', 50_000);

      // History goes on: another user's commands reach the newcomer after its snapshot.
      const other = api(server.url, 'demo:other');
      const commands = commandFactory('other-client');
      const more = [
        commands.next(
          'addCard',
          { boardId: 'old', cardId: 'fresh1', columnId: 'col1', title: 'Fresh' },
          { baseSeq: HISTORY },
        ),
        commands.next('renameCard', { boardId: 'old', cardId: 'k7', title: 'Renamed late' }, { baseSeq: HISTORY }),
        commands.next('moveCard', { boardId: 'old', cardId: 'k8', toColumnId: 'col3' }, { baseSeq: HISTORY }),
      ];
      const pushed = await other.push({ clientId: 'other-client', commands: more });
      expect(pushed.status).toBe(200);
      const later = (await server.store.readEvents(scope, HISTORY, 1000)).events;
      const applied = pushed.json.results.filter((result) => result.status === 'applied');
      expect(applied.length).toBeGreaterThanOrEqual(2);
      expect(later).toHaveLength(applied.reduce((n, result) => n + (result.events?.length ?? 0), 0));
      for (const event of later) applyEvent(kanban, truth, event);
      const expected = truth.dump();
      await until(
        () =>
          JSON.stringify(engine.query({ table: 'cards' })) === JSON.stringify(expected.cards) &&
          JSON.stringify(engine.query({ table: 'columns' })) === JSON.stringify(expected.columns) &&
          JSON.stringify(engine.query({ table: 'boards' })) === JSON.stringify(expected.boards),
        'the newcomer to equal a full replay',
        20_000,
      );

      const snapshots = seen.filter((s) => s.path === '/v1/snapshot');
      expect(snapshots).toHaveLength(1);
      expect(snapshots[0]?.snapshot?.seq).toBe(HISTORY);
      const pulled = seen.flatMap((s) => s.events);
      expect(pulled.every((e) => e.seq > HISTORY)).toBe(true);
      expect(seen.filter((s) => s.path === '/v1/pull').every((s) => Number(s.query.get('after')) >= HISTORY)).toBe(
        true,
      );
    } finally {
      await Promise.all(engines.map((engine) => engine.close()));
      await server.stop();
    }
  }, 120_000);

  it(`${SUBSCRIBERS.toLocaleString('en')} live subscribers on one stream each get every event once and in order, in bounded memory`, async () => {
    const child = await startServerChild(`${dirs.dir}/fanout.db`);
    const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
    const subscribers: Subscriber[] = [];
    try {
      const { scope, commands, client, todo } = await seedBoard(child.url, 'owner', 'owner-client', 'live');
      const head = 3;
      const pid = child.child.pid ?? 0;
      const before = rssOf(pid);
      for (let i = 0; i < SUBSCRIBERS; i += 250) {
        const wave = Array.from({ length: Math.min(250, SUBSCRIBERS - i) }, (_, j) =>
          subscribe(agent, child.url, `demo:u${(i + j) % 200}`, scope, head),
        );
        subscribers.push(...(await Promise.all(wave)));
      }
      expect(subscribers.every((s) => s.status === 200)).toBe(true);

      const EVENTS = 30;
      for (let i = 0; i < EVENTS; i += 3) {
        const batch = [0, 1, 2].map((j) =>
          commands.next('addCard', { boardId: 'live', cardId: `c${i + j}`, columnId: todo, title: `c${i + j}` }),
        );
        const res = await client.push({ clientId: 'owner-client', commands: batch });
        expect(res.status).toBe(200);
      }
      const last = head + EVENTS;
      await until(
        () => subscribers.every((s) => s.last === last || s.broken !== null),
        'every subscriber to get every event',
        60_000,
      );
      expect(subscribers.filter((s) => s.broken !== null).map((s) => s.broken)).toEqual([]);
      expect(subscribers.every((s) => s.count === EVENTS && s.last === last)).toBe(true);
      const grown = rssOf(pid) - before;
      expect(grown).toBeLessThan(300 * MB);
    } finally {
      for (const s of subscribers) s.close();
      agent.destroy();
      await child.stop();
    }
  }, 120_000);
});

interface Subscriber {
  readonly status: number;
  /** The last seq received, and how many events: in order and once, or `broken` says how not. */
  last: number;
  count: number;
  broken: string | null;
  close(): void;
}

/** One `GET /v1/live` over a plain socket, keeping only what the assertions need. */
function subscribe(agent: http.Agent, url: string, token: string, scope: string, after: number): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const query = `scope=${encodeURIComponent(`${scope}:${after}`)}`;
    const request = http.get(
      `${url}/v1/live?${query}`,
      { agent, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        const subscriber: Subscriber = {
          status: res.statusCode ?? 0,
          last: after,
          count: 0,
          broken: null,
          close: () => request.destroy(),
        };
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
            if (!frame.startsWith('event: events')) continue;
            const data = frame
              .split('\n')
              .filter((line) => line.startsWith('data: '))
              .map((line) => line.slice(6))
              .join('\n');
            for (const event of (JSON.parse(data) as { events: WireEvent[] }).events) {
              if (event.seq !== subscriber.last + 1) subscriber.broken ??= `got ${event.seq} after ${subscriber.last}`;
              subscriber.last = event.seq;
              subscriber.count++;
            }
          }
        });
        res.on('error', () => undefined);
        resolve(subscriber);
      },
    );
    request.on('error', reject);
  });
}

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/u.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}
