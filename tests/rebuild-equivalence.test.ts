import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyConfirmed } from '../client/engine/apply-confirmed.ts';
import { pullAll, replay } from '../client/testing/replay.ts';
import { type KanbanApp, kanban } from '../demo/app.ts';
import { demoAuth } from '../demo/auth.ts';
import { createServer } from '../server/index.ts';
import { ScopeCache } from '../server/scope-cache.ts';
import { sqliteStore } from '../server/sqlite.ts';
import { canonicalJson, MemoryTables, type Row } from '../shared/index.ts';
import { type ClientStorage, dexieStorage, Engine, MemoryTransport } from '../testing/index.ts';
import { closedAfterEach } from './support/closed-after-each.ts';
import { createBoard, drainAll, executeKanbanCommand, kanbanCommand, SCOPE, until } from './support/kanban-property.ts';

/**
 * TEST-PLAN V05 (G6, G9): at the end of a random run, dropping every projection and replaying
 * the events gives byte-identical rows (canonical JSON) to the ones built incrementally:
 * - on each client, the rows in IndexedDB against a replay of the events in IndexedDB;
 * - on the server, the state its cache built commit by commit (saved as snapshots) and a
 *   fresh cache (latest snapshot plus later events) against a replay of the store's stream.
 * The seed is printed by tests/support/fast-check-seed.ts.
 */
const command = kanbanCommand(['a', 'b']);
const step = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('command' as const), client: fc.nat(1), command }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom('offline' as const, 'online' as const, 'reload' as const),
      client: fc.nat(1),
    }),
  },
);

const engines = closedAfterEach<Engine<KanbanApp>>();
const WAIT_MS = 20_000;

/** The stored rows of one scope, in the shape of `MemoryTables.dump()`. */
function storedDump(rows: ReadonlyArray<{ table: string; scope: string; row: Row | null }>): Record<string, Row[]> {
  const tables = new MemoryTables(kanban.tables);
  for (const { table, scope, row } of rows) if (scope === SCOPE && row) tables.put(table, row);
  return tables.dump();
}

/** The client's events in IndexedDB, replayed from nothing by the client's own apply. */
async function clientReplay(storage: ClientStorage): Promise<Record<string, Row[]>> {
  const tables = new MemoryTables(kanban.tables);
  const result = applyConfirmed(kanban, tables, SCOPE, 0, await storage.readEvents(SCOPE));
  expect(result.mark).toBeNull();
  return tables.dump();
}

describe('projection rebuild equivalence (V05)', () => {
  it('V05 projection-rebuild-equivalence: incremental rows equal a replay, on the clients and the server', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 5, maxLength: 30 }),
        fc.integer({ min: 1, max: 4 }),
        async (steps, snapshotEvery) => {
          const store = sqliteStore({ file: ':memory:' });
          const server = createServer({
            app: kanban,
            store,
            auth: demoAuth({ adminToken: 'admin' }),
            cache: { snapshotEvery },
          });
          const handle = async (request: Request) => server.request(request);
          const clients = await Promise.all(
            [0, 1].map(async (i) => {
              const indexedDB = new IDBFactory();
              const transport = new MemoryTransport(handle, { auth: `demo:user${i}` });
              const storage = () => dexieStorage({ name: 'weft', tables: kanban.tables, indexedDB, IDBKeyRange });
              const open = async () => {
                const engine = await Engine.open({
                  app: kanban,
                  storage: storage(),
                  transport,
                  scopes: [SCOPE],
                  syncOptions: { backoff: { baseMs: 1, maxMs: 8 }, maxBatch: 3 },
                });
                engines.push(engine);
                return engine;
              };
              return { transport, storage, open, engine: await open() };
            }),
          );
          const [first] = clients;
          if (!first) throw new Error('no client');
          await createBoard(first.engine);

          for (const s of steps) {
            const client = clients[s.client];
            if (!client) continue;
            if (s.kind === 'command') {
              const run = executeKanbanCommand(client.engine, s.command);
              await run.applied.catch(() => undefined);
            } else if (s.kind === 'offline') client.transport.goOffline();
            else if (s.kind === 'online') client.transport.goOnline();
            else {
              await client.engine.flush();
              await client.engine.close();
              client.engine = await client.open();
            }
          }

          await drainAll(clients, WAIT_MS);
          const events = await pullAll(first.transport, SCOPE);
          const head = events.at(-1)?.seq ?? 0;
          const truth = canonicalJson(replay(kanban, events));

          // Server: the incrementally built state (its snapshot at the head), and a fresh rebuild.
          // A snapshot is the cache's incremental state at its seq, saved as it was committed.
          const snapshot = await store.loadSnapshot(SCOPE);
          expect(snapshot).not.toBeNull();
          const upTo = events.filter((event) => event.seq <= (snapshot?.seq ?? 0));
          expect(canonicalJson(snapshot?.tables)).toBe(canonicalJson(replay(kanban, upTo)));
          const rebuilt = await new ScopeCache(kanban, store).get(SCOPE);
          expect(rebuilt.head).toBe(head);
          expect(canonicalJson(rebuilt.tables.dump())).toBe(truth);

          // Clients: IndexedDB rows against a replay of IndexedDB's events, and against the server.
          for (const client of clients) {
            await until(
              () => client.engine.status().pending === 0 && client.engine.query({ table: 'boards' }).length === 1,
              'sync',
              WAIT_MS,
            );
            await until(
              async () => (await client.storage().readEvents(SCOPE)).length === head,
              'the client to reach the head',
              WAIT_MS,
            );
            await client.engine.flush();
            const storage = client.storage();
            const { rows } = await storage.load({ scopes: [SCOPE], newClientId: () => 'unused' });
            const incremental = canonicalJson(storedDump(rows));
            expect(incremental).toBe(canonicalJson(await clientReplay(storage)));
            expect(incremental).toBe(truth);
            await storage.close();
          }
          await Promise.all(clients.map((client) => client.engine.close()));
          await store.close();
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 8) },
    );
  }, 60_000);
});
