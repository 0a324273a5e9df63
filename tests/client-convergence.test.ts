import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pullAll, replay } from '../client/testing/replay.ts';
import { type KanbanApp, kanban } from '../demo/app.ts';
import { demoAuth } from '../demo/auth.ts';
import { createServer } from '../server/index.ts';
import { sqliteStore } from '../server/sqlite.ts';
import { type ClientStorage, Engine, MemoryTransport, memoryStorage } from '../testing/index.ts';
import { closedAfterEach } from './support/closed-after-each.ts';
import { createBoard, drainAll, executeKanbanCommand, kanbanCommand, SCOPE, until } from './support/kanban-property.ts';

/**
 * TEST-PLAN F11, in-process: several clients issue random kanban commands with random offline
 * windows and reloads while the transport drops answers, duplicates pushes, delays and
 * reorders live messages. Once the network settles, every client's projections equal a fresh
 * replay of the server's stream, every command was applied at most once, every settled command
 * matches the stream (confirmed ones in it, rejected ones absent), and none was lost.
 * The seed is printed by tests/support/fast-check-seed.ts.
 */
const command = kanbanCommand(['a', 'b', 'c']);
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

const engines = closedAfterEach<Engine<KanbanApp>>();
const WAIT_MS = 10_000;

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
        await createBoard(first.engine);

        // Commands each client accepted; their fate is asked of whichever engine now runs that client.
        const issued: Array<{ client: Client; id: string }> = [];
        for (const s of steps) {
          const client = s.kind === 'wait' ? undefined : clients[s.client];
          if (s.kind === 'wait') await new Promise((resolve) => setTimeout(resolve, s.ms));
          else if (!client) continue;
          else if (s.kind === 'command') {
            const run = executeKanbanCommand(client.engine, s.command);
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

        await drainAll(clients, WAIT_MS);
        const events = await pullAll(first.transport, SCOPE);
        const head = events.at(-1)?.seq ?? 0;
        const truth = replay(kanban, events);
        const view = (engine: Engine<KanbanApp>) => ({
          boards: engine.query({ table: 'boards' }),
          columns: engine.query({ table: 'columns' }),
          descriptions: engine.query({ table: 'descriptions' }),
          cards: engine.query({ table: 'cards' }),
        });
        await until(
          () => clients.every((client) => JSON.stringify(view(client.engine)) === JSON.stringify(view(first.engine))),
          'the clients to agree',
          WAIT_MS,
        );
        await until(async () => (await pullAll(first.transport, SCOPE)).length === head, 'quiescence', WAIT_MS);
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
