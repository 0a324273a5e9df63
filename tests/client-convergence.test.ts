import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClientStorage, Engine, MemoryTransport, memoryStorage } from '../client/index.ts';
import { pullAll, replay } from '../client/testing/replay.ts';
import { boardScope, type KanbanApp, kanban } from '../demo/app.ts';
import { demoAuth } from '../demo/auth.ts';
import { createServer, sqliteStore } from '../server/index.ts';

/**
 * TEST-PLAN F11, in-process: several clients issue random kanban commands with random offline
 * windows and reloads while the transport drops answers, duplicates pushes, delays and
 * reorders live messages. Once the network settles, every client's projections equal a fresh
 * replay of the server's stream, every command was applied at most once, every settled command
 * matches the stream (confirmed ones in it, rejected ones absent), and none was lost.
 * The seed is printed by tests/support/fast-check-seed.ts.
 */
const SCOPE = boardScope('b');
const CARDS = ['k1', 'k2', 'k3', 'k4'];
const COLUMNS = ['todo', 'doing', 'done'];

const command = fc.oneof(
  fc.record({
    name: fc.constant('addCard' as const),
    cardId: fc.constantFrom(...CARDS),
    columnId: fc.constantFrom(...COLUMNS),
  }),
  fc.record({
    name: fc.constant('moveCard' as const),
    cardId: fc.constantFrom(...CARDS),
    columnId: fc.constantFrom(...COLUMNS),
  }),
  fc.record({
    name: fc.constant('renameCard' as const),
    cardId: fc.constantFrom(...CARDS),
    title: fc.constantFrom('a', 'b', 'c'),
  }),
  fc.record({ name: fc.constant('archiveCard' as const), cardId: fc.constantFrom(...CARDS) }),
);
const step = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('command' as const), client: fc.nat(2), command }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom('offline' as const, 'online' as const, 'reload' as const),
      client: fc.nat(2),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom('drop' as const, 'duplicate' as const, 'fail' as const),
      client: fc.nat(2),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 15 }) }) },
);

const engines: Engine<KanbanApp>[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

interface Client {
  readonly transport: MemoryTransport;
  readonly storage: ClientStorage;
  engine: Engine<KanbanApp>;
}

async function open(transport: MemoryTransport, storage: ClientStorage): Promise<Engine<KanbanApp>> {
  const engine = await Engine.open({
    app: kanban,
    storage,
    transport,
    scopes: [SCOPE],
    syncOptions: { backoff: { baseMs: 1, maxMs: 8 }, maxBatch: 3 },
  });
  engines.push(engine);
  return engine;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
}

describe('convergence under faults (F11)', () => {
  it('every client converges to the server, every command settles once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async (steps) => {
        const app = createServer({
          app: kanban,
          store: sqliteStore({ file: ':memory:' }),
          auth: demoAuth({ adminToken: 'admin' }),
        });
        const handle = async (request: Request) => app.request(request);
        const clients: Client[] = [];
        for (let i = 0; i < 3; i++) {
          const transport = new MemoryTransport(handle, { auth: `demo:user${i}` });
          if (i === 2) {
            transport.reorderLive();
            transport.duplicateLive();
          }
          const storage = memoryStorage({ tables: kanban.tables });
          clients.push({ transport, storage, engine: await open(transport, storage) });
        }
        const [first] = clients;
        if (!first) throw new Error('no client');
        const setup = [
          first.engine.execute('createBoard', { boardId: 'b', title: 'B' }),
          first.engine.execute('addColumn', { boardId: 'b', columnId: 'todo', title: 'To do' }),
          first.engine.execute('addColumn', { boardId: 'b', columnId: 'doing', title: 'Doing', wipLimit: 2 }),
          first.engine.execute('addColumn', { boardId: 'b', columnId: 'done', title: 'Done', wipLimit: 1 }),
        ];
        await Promise.all(setup.map((run) => run.confirmed));

        // Commands each client accepted; their fate is asked of whichever engine now runs that client.
        const issued: Array<{ client: Client; id: string }> = [];
        for (const s of steps) {
          const client = s.kind === 'wait' ? undefined : clients[s.client];
          if (s.kind === 'wait') await new Promise((resolve) => setTimeout(resolve, s.ms));
          else if (!client) continue;
          else if (s.kind === 'command') {
            const c = s.command;
            const boardId = 'b';
            const run =
              c.name === 'addCard'
                ? client.engine.execute('addCard', { boardId, cardId: c.cardId, columnId: c.columnId, title: c.cardId })
                : c.name === 'moveCard'
                  ? client.engine.execute('moveCard', { boardId, cardId: c.cardId, toColumnId: c.columnId })
                  : c.name === 'renameCard'
                    ? client.engine.execute('renameCard', { boardId, cardId: c.cardId, title: c.title })
                    : client.engine.execute('archiveCard', { boardId, cardId: c.cardId });
            const applied = await run.applied.then(
              () => true,
              () => false,
            );
            if (applied) issued.push({ client, id: run.id });
          } else if (s.kind === 'offline') client.transport.goOffline();
          else if (s.kind === 'online') client.transport.goOnline();
          else if (s.kind === 'drop') client.transport.dropNextPushReply();
          else if (s.kind === 'duplicate') client.transport.duplicateNextPush();
          else if (s.kind === 'fail') client.transport.failNextPush();
          else if (s.kind === 'reload') {
            await client.engine.flush(); // a reload after `durable`: nothing may be lost
            await client.engine.close();
            client.engine = await open(client.transport, client.storage);
          }
        }

        for (const client of clients) {
          client.transport.goOnline();
          client.engine.setOnline(true);
        }
        await until(() => clients.every((client) => client.engine.status().pending === 0), 'every outbox to drain');
        const events = await pullAll(first.transport, SCOPE);
        const head = events.at(-1)?.seq ?? 0;
        const truth = replay(kanban, events);
        const view = (engine: Engine<KanbanApp>) => ({
          boards: engine.query({ table: 'boards' }),
          columns: engine.query({ table: 'columns' }),
          cards: engine.query({ table: 'cards' }),
        });
        await until(
          () => clients.every((client) => JSON.stringify(view(client.engine)) === JSON.stringify(view(first.engine))),
          'the clients to agree',
        );
        await until(async () => (await pullAll(first.transport, SCOPE)).length === head, 'quiescence');
        for (const client of clients) expect(view(client.engine)).toEqual(truth);

        // Each command's events are contiguous and appear once.
        const seen = new Map<string, number>();
        let previous = '';
        for (const event of events) {
          if (event.commandId !== previous) {
            expect(seen.has(event.commandId)).toBe(false);
            seen.set(event.commandId, event.seq);
          }
          previous = event.commandId;
        }
        for (const { client, id } of issued) {
          const state = client.engine.commandState(id);
          expect(['confirmed', 'rejected']).toContain(state); // never lost, never left pending
          // Every kanban command that succeeds emits an event; a rejected one emits none.
          expect(seen.has(id)).toBe(state === 'confirmed');
        }
        await Promise.all(clients.map((client) => client.engine.close()));
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 15) },
    );
  }, 120_000);
});
