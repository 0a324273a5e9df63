import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../client/testing/harness.ts';
import { pullAll, replay } from '../client/testing/replay.ts';
import { boardScope, type KanbanApp, kanban } from '../demo/app.ts';
import { demoAuth } from '../demo/auth.ts';
import { createServer } from '../server/index.ts';
import { sqliteStore } from '../server/sqlite.ts';
import { Engine, MemoryTransport, memoryStorage } from '../testing/index.ts';

/**
 * TEST-PLAN F09 `rebase-livelock`: a client comes back with a long backlog, pushing one
 * command per request, while another client keeps the scope busy with a steady stream of
 * events it must rebase over. The backlog must drain, its progress must never go backwards,
 * and both clients must end equal to the server.
 */
const SCOPE = boardScope('busy');
const BACKLOG = 300;
const engines: Engine<KanbanApp>[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

async function open(transport: MemoryTransport, maxBatch: number) {
  const engine = await Engine.open({
    app: kanban,
    storage: memoryStorage({ tables: kanban.tables }),
    transport,
    scopes: [SCOPE],
    syncOptions: { backoff: { baseMs: 1, maxMs: 10 }, maxBatch },
  });
  engines.push(engine);
  return engine;
}

describe('rebase under a high upstream rate', () => {
  it(`drains a ${BACKLOG}-command backlog pushed one at a time, with monotone progress`, async () => {
    const server = createServer({
      app: kanban,
      store: sqliteStore({ file: ':memory:' }),
      auth: demoAuth({ adminToken: 'admin' }),
      limits: { requestsPerSecond: 1e6, requestBurst: 1e6 },
    });
    const handle = async (request: Request) => server.request(request);
    const slowTransport = new MemoryTransport(handle, { auth: 'demo:slow' });
    const busyTransport = new MemoryTransport(handle, { auth: 'demo:busy' });
    const slow = await open(slowTransport, 1);
    const busy = await open(busyTransport, 10);

    for (const run of [
      busy.execute('createBoard', { boardId: 'busy', title: 'Busy' }),
      busy.execute('addColumn', { boardId: 'busy', columnId: 'todo', title: 'To do' }),
      busy.execute('addCard', { boardId: 'busy', cardId: 'hot', columnId: 'todo', title: '0' }),
    ]) {
      await run.confirmed;
    }
    await until(() => slow.query({ table: 'cards' }).length === 1, 'the slow client to see the board');

    slow.setOnline(false);
    slowTransport.goOffline();
    for (let i = 0; i < BACKLOG; i++) {
      slow.execute('addCard', { boardId: 'busy', cardId: `s${i}`, columnId: 'todo', title: `s${i}` });
    }
    expect(slow.status().pending).toBe(BACKLOG);

    let storming = true;
    let stormed = 0;
    const storm = (async () => {
      while (storming) {
        busy.execute('renameCard', { boardId: 'busy', cardId: 'hot', title: String(++stormed) });
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();

    const samples: number[] = [];
    slowTransport.goOnline();
    slow.setOnline(true);
    await until(
      () => {
        samples.push(slow.status().pending);
        return slow.status().pending === 0;
      },
      'the backlog to drain under the storm',
      60_000,
    );
    storming = false;
    await storm;
    await until(() => busy.status().pending === 0, 'the busy client to drain');

    expect(samples.every((pending, i) => i === 0 || pending <= (samples[i - 1] ?? pending))).toBe(true);
    expect(stormed).toBeGreaterThan(10);
    const truth = replay(kanban, await pullAll(busyTransport, SCOPE));
    expect(truth.cards).toHaveLength(BACKLOG + 1);
    await until(
      () =>
        JSON.stringify([slow.query({ table: 'cards' }), busy.query({ table: 'cards' })]) ===
        JSON.stringify([truth.cards, truth.cards]),
      'both clients to converge',
      10_000,
    );
  }, 90_000);
});
