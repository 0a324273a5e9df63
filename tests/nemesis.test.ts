import { isDeepStrictEqual } from 'node:util';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../client/testing/harness.ts';
import { pullAll, replay } from '../client/testing/replay.ts';
import { boardScope, type KanbanApp, kanban } from '../demo/app.ts';
import type { AuditResponse } from '../shared/index.ts';
import { dexieStorage, Engine, httpTransport } from '../testing/index.ts';
import { api } from './support/http.ts';
import { type ServerChild, startServerChild } from './support/server-child.ts';
import { ADMIN_TOKEN, tempDir } from './support/server-process.ts';

/**
 * TEST-PLAN §2.1 harness 4, the black-box nemesis: three real client engines (Dexie on
 * fake-indexeddb, the HTTP transport) issue random kanban commands against a real server
 * process that is killed with SIGKILL and restarted, and paused with SIGSTOP, while clients
 * go offline and reload. Then the network heals and the checker asserts: every issued command
 * has exactly one audit record (none lost, none twice), applied ones have their events in the
 * stream exactly once and rejected ones none, the stream is gap-free, and every client's
 * projections equal a fresh replay of it. The seed is printed; NEMESIS_SEED replays it.
 * One client (bob) opens lazy, as a tab's engine does (lazy-scopes.ts): after each reload its
 * board stays in IndexedDB until a command or its first pull loads it.
 */
const SCOPE = boardScope('nem');
const CARDS = ['k1', 'k2', 'k3', 'k4', 'k5'];
const COLUMNS = ['todo', 'doing', 'done'];
const STEPS = 150;
const seed = Number(process.env.NEMESIS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const temp = tempDir('weft-nemesis-');
const engines = new Set<Engine<KanbanApp>>();
let server: ServerChild | null = null;

afterAll(async () => {
  await Promise.all([...engines].map((engine) => engine.close()));
  await server?.stop();
  temp.dispose();
});

/** mulberry32: one seeded PRNG drives every choice of the run. */
function prng(state: number) {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('nemesis: kill -9, SIGSTOP, offline and reloads against the real server process', () => {
  it('converges with every command settled exactly once', async () => {
    console.log(`nemesis seed ${seed} (replay with NEMESIS_SEED=${seed})`);
    const random = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const file = `${temp.dir}/nemesis.db`;
    server = await startServerChild(file);
    const port = server.port;
    const url = server.url;

    const profiles = ['ann', 'bob', 'cy'].map((user) => ({ user, indexedDB: new IDBFactory() }));
    const open = async (profile: (typeof profiles)[number]) => {
      const engine = await Engine.open({
        app: kanban,
        storage: dexieStorage({ name: 'weft', tables: kanban.tables, indexedDB: profile.indexedDB, IDBKeyRange }),
        transport: httpTransport({ url, auth: `demo:${profile.user}`, timeoutMs: 1500 }),
        scopes: [SCOPE],
        syncOptions: { backoff: { baseMs: 5, maxMs: 100 }, maxBatch: 4 },
        lazy: profile.user === 'bob',
      });
      engines.add(engine);
      return engine;
    };
    const clients = await Promise.all(profiles.map(open));
    const issued = new Set<string>();
    const first = clients[0] as Engine<KanbanApp>;
    for (const run of [
      first.execute('createBoard', { boardId: 'nem', title: 'Nemesis' }),
      first.execute('addColumn', { boardId: 'nem', columnId: 'todo', title: 'To do' }),
      first.execute('addColumn', { boardId: 'nem', columnId: 'doing', title: 'Doing', wipLimit: 2 }),
      first.execute('addColumn', { boardId: 'nem', columnId: 'done', title: 'Done' }),
    ]) {
      issued.add(run.id);
      await run.confirmed;
    }

    let stopped = false;
    /** Says which action a step is stuck on, should one hang (the test's timeout alone would not). */
    const watch = async <T>(step: number, action: string, work: Promise<T>): Promise<T> => {
      const timer = setInterval(() => console.log(`nemesis: step ${step}: still waiting on ${action}`), 10_000);
      try {
        return await work;
      } finally {
        clearInterval(timer);
      }
    };
    for (let step = 0; step < STEPS; step++) {
      if (step % 20 === 0) console.log(`nemesis: step ${step}/${STEPS}`);
      const i = Math.floor(random() * clients.length);
      const engine = clients[i] as Engine<KanbanApp>;
      const roll = random();
      const cardId = pick(CARDS);
      if (roll < 0.6) {
        const choice = random();
        const run =
          choice < 0.35
            ? engine.execute('addCard', { boardId: 'nem', cardId, columnId: pick(COLUMNS), title: `t${step}` })
            : choice < 0.7
              ? engine.execute('moveCard', { boardId: 'nem', cardId, toColumnId: pick(COLUMNS) })
              : choice < 0.9
                ? engine.execute('renameCard', { boardId: 'nem', cardId, title: `r${step}` })
                : engine.execute('archiveCard', { boardId: 'nem', cardId });
        // A command its own client already refuses never reaches the outbox or the server. On a
        // board not loaded yet (bob, lazy) it runs once loaded: `applied` says it did.
        if (engine.commandState(run.id) !== 'unknown') issued.add(run.id);
        else
          run.applied.then(
            () => issued.add(run.id),
            () => undefined,
          );
        run.applied.catch(() => undefined);
        run.confirmed.catch(() => undefined);
        run.durable.catch(() => undefined);
      } else if (roll < 0.67 && !stopped) {
        server.child.kill('SIGKILL');
        await watch(step, 'the killed server to exit', server.exited);
        await new Promise((resolve) => setTimeout(resolve, random() * 50));
        server = await watch(step, 'the server to restart', startServerChild(file, { port }));
      } else if (roll < 0.72 && !stopped) {
        server.child.kill('SIGSTOP');
        stopped = true;
      } else if (roll < 0.8 && stopped) {
        server.child.kill('SIGCONT');
        stopped = false;
      } else if (roll < 0.88) {
        engine.setOnline(random() < 0.5);
      } else if (roll < 0.94) {
        await watch(step, `client ${i} to close${stopped ? ' (server stopped)' : ''}`, engine.close());
        engines.delete(engine);
        clients[i] = await watch(step, `client ${i} to reopen`, open(profiles[i] as (typeof profiles)[number]));
      } else {
        await new Promise((resolve) => setTimeout(resolve, random() * 30));
      }
    }

    console.log('nemesis: healing the network and waiting for quiescence');
    if (stopped) server.child.kill('SIGCONT');
    for (const engine of clients) engine.setOnline(true);
    await until(() => clients.every((engine) => engine.status().pending === 0), 'every outbox to drain', 60_000);

    const reader = httpTransport({ url, auth: 'demo:ann' });
    const events = await pullAll(reader, SCOPE);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, n) => n + 1));
    const truth = replay(kanban, events);
    const tablesOf = (engine: Engine<KanbanApp>) => ({
      boards: engine.query({ table: 'boards' }),
      cards: engine.query({ table: 'cards' }),
      columns: engine.query({ table: 'columns' }),
      descriptions: engine.query({ table: 'descriptions' }),
    });
    // A lazy client's board loads at its first pull: `query` throws until then.
    const loadedTables = (engine: Engine<KanbanApp>) => {
      try {
        return tablesOf(engine);
      } catch {
        return null;
      }
    };
    await until(
      () => clients.every((engine) => isDeepStrictEqual(loadedTables(engine), truth)),
      'every client to converge on the server stream',
      30_000,
    );
    for (const engine of clients) expect(tablesOf(engine)).toEqual(truth);

    const audit = await api(url, ADMIN_TOKEN).get<AuditResponse>(
      `/v1/audit?scope=${encodeURIComponent(SCOPE)}&limit=1000`,
    );
    const records = audit.json.records;
    expect(new Set(records.map((r) => r.commandId)).size).toBe(records.length);
    expect(new Set(records.map((r) => `${r.clientId}#${r.seq}`)).size).toBe(records.length);
    expect(new Set(records.map((r) => r.commandId))).toEqual(issued);
    const eventsByCommand = new Map<string, number>();
    for (const event of events) eventsByCommand.set(event.commandId, (eventsByCommand.get(event.commandId) ?? 0) + 1);
    for (const record of records) {
      expect(eventsByCommand.get(record.commandId) ?? 0).toBe(record.eventSeqs.length);
      expect(record.eventSeqs.length > 0).toBe(record.outcome !== 'rejected');
    }
    console.log(
      `nemesis: ${records.length} commands settled once each (${records.filter((r) => r.outcome === 'rejected').length} rejected), ${events.length} events`,
    );
  }, 180_000);
});
