import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { pullAll, replay } from '../client/testing/replay.ts';
import { boardScope, type KanbanApp, kanban } from '../demo/app.ts';
import { demoAuth } from '../demo/auth.ts';
import { createServer } from '../server/index.ts';
import { sqliteStore } from '../server/sqlite.ts';
import { dexieStorage, Engine, MemoryTransport } from '../testing/index.ts';

/**
 * The client engine against the real server (in-process through `app.request`, with the
 * memory transport's fault injection) on fake-indexeddb: reloads, lost answers, rebases.
 */
const SCOPE = boardScope('b1');
const engines: Engine<KanbanApp>[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

function startServer() {
  const app = createServer({
    app: kanban,
    store: sqliteStore({ file: ':memory:' }),
    auth: demoAuth({ adminToken: 'admin' }),
  });
  return { handle: async (request: Request) => app.request(request) };
}
type Server = ReturnType<typeof startServer>;

/** A browser profile: one IndexedDB; each `open()` is a page load on it. */
function profile(server: Server, user: string) {
  const indexedDB = new IDBFactory();
  const transport = new MemoryTransport(server.handle, { auth: `demo:${user}` });
  return {
    transport,
    async open(): Promise<Engine<KanbanApp>> {
      const storage = dexieStorage({ name: 'weft', tables: kanban.tables, indexedDB, IDBKeyRange });
      const engine = await Engine.open({
        app: kanban,
        storage,
        transport,
        scopes: [SCOPE],
        syncOptions: { backoff: { baseMs: 2, maxMs: 20 } },
      });
      engines.push(engine);
      return engine;
    },
  };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Creates board b1 with columns todo (no limit) and doing (WIP limit 1), and cards k1, k2 in todo. */
async function seed(engine: Engine<KanbanApp>): Promise<void> {
  const runs = [
    engine.execute('createBoard', { boardId: 'b1', title: 'Board' }),
    engine.execute('addColumn', { boardId: 'b1', columnId: 'todo', title: 'To do' }),
    engine.execute('addColumn', { boardId: 'b1', columnId: 'doing', title: 'Doing', wipLimit: 1 }),
    engine.execute('addCard', { boardId: 'b1', cardId: 'k1', columnId: 'todo', title: 'One' }),
    engine.execute('addCard', { boardId: 'b1', cardId: 'k2', columnId: 'todo', title: 'Two' }),
  ];
  await Promise.all(runs.map((run) => run.confirmed));
}

/** Every projection table of the board, as the engine serves it. */
function tables(engine: Engine<KanbanApp>) {
  return {
    boards: engine.query({ table: 'boards' }),
    cards: engine.query({ table: 'cards' }),
    columns: engine.query({ table: 'columns' }),
    descriptions: engine.query({ table: 'descriptions' }),
  };
}

/** The board's projections replayed from the server's stream; also checks each command applied once. */
async function serverState(transport: MemoryTransport) {
  const events = await pullAll(transport, SCOPE);
  const perCommand = new Map<string, number[]>();
  for (const event of events) perCommand.set(event.commandId, [...(perCommand.get(event.commandId) ?? []), event.seq]);
  for (const seqs of perCommand.values()) expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
  return { tables: replay(kanban, events), events, commands: perCommand.size };
}

describe('client engine × server', () => {
  it('keeps offline commands across a reload, then converges with the server', async () => {
    const server = startServer();
    const ann = profile(server, 'ann');
    const first = await ann.open();
    await seed(first);
    ann.transport.goOffline();
    first.execute('addCard', { boardId: 'b1', cardId: 'k3', columnId: 'todo', title: 'Three' });
    first.execute('moveCard', { boardId: 'b1', cardId: 'k1', toColumnId: 'doing' });
    first.execute('renameCard', { boardId: 'b1', cardId: 'k2', title: 'Two, renamed' });
    const last = first.execute('archiveCard', { boardId: 'b1', cardId: 'k3' });
    expect(first.status().pending).toBe(4);
    const optimistic = tables(first);
    expect(optimistic.cards.map((c) => [c.cardId, c.columnId, c.title])).toEqual([
      ['k1', 'doing', 'One'],
      ['k2', 'todo', 'Two, renamed'],
    ]);
    await last.durable;
    const pendingBefore = first.pending();
    await first.close();

    const second = await ann.open();
    expect(second.clientId).toBe(first.clientId);
    expect(second.pending()).toEqual(pendingBefore);
    expect(tables(second)).toEqual(optimistic);

    ann.transport.goOnline();
    second.setOnline(true);
    await until(() => second.status().pending === 0, 'the outbox to drain');
    const { tables: truth, commands } = await serverState(ann.transport);
    expect(commands).toBe(9);
    expect(tables(second)).toEqual(truth);
    expect(tables(second)).toEqual(optimistic);
  });

  it('applies a command once when the answer to its push is lost', async () => {
    const server = startServer();
    const ann = profile(server, 'ann');
    const engine = await ann.open();
    await seed(engine);
    ann.transport.dropNextPushReply();
    const rename = engine.execute('renameCard', { boardId: 'b1', cardId: 'k1', title: 'Once' });
    await rename.confirmed;
    const { events, tables: truth } = await serverState(ann.transport);
    expect(events.filter((event) => event.commandId === rename.id)).toHaveLength(1);
    expect(events.filter((event) => event.type === 'cardRenamed')).toHaveLength(1);
    await until(() => engine.status().pending === 0, 'settled');
    expect(tables(engine)).toEqual(truth);
  });

  it('rebases on another client’s events, and drops a move the server refuses with WIP_LIMIT', async () => {
    const server = startServer();
    const ann = profile(server, 'ann');
    const bob = profile(server, 'bob');
    const annEngine = await ann.open();
    await seed(annEngine);
    const bobEngine = await bob.open();
    await until(() => bobEngine.query({ table: 'cards' }).length === 2, 'bob to load the board');

    // Bob's pushes fail for now; his live stream still works.
    bob.transport.failNextPush(1_000_000);
    const move = bobEngine.execute('moveCard', { boardId: 'b1', cardId: 'k2', toColumnId: 'doing' });
    const rename = bobEngine.execute('renameCard', { boardId: 'b1', cardId: 'k1', title: 'Bob was here' });
    const rejected: string[] = [];
    bobEngine.onRejected((rejection) => rejected.push(rejection.code));
    expect(bobEngine.query({ table: 'cards', where: { columnId: 'doing' } }).map((c) => c.cardId)).toEqual(['k2']);

    await annEngine.execute('moveCard', { boardId: 'b1', cardId: 'k1', toColumnId: 'doing' }).confirmed;
    // Ann's move arrives first: Bob's move no longer fits, and vanishes before the server says so.
    await until(
      () =>
        bobEngine
          .query({ table: 'cards', where: { columnId: 'doing' } })
          .map((c) => c.cardId)
          .join() === 'k1',
      'bob to rebase on ann’s move',
    );
    expect(bobEngine.pending().map((p) => [p.name, p.failing])).toEqual([
      ['moveCard', true],
      ['renameCard', false],
    ]);
    expect(bobEngine.query({ table: 'cards', where: { cardId: 'k1' } })[0]?.title).toBe('Bob was here');

    bob.transport.failNextPush(0);
    bobEngine.setOnline(true);
    await expect(move.confirmed).rejects.toMatchObject({ name: 'CommandError', code: 'WIP_LIMIT' });
    await rename.confirmed;
    expect(rejected).toEqual(['WIP_LIMIT']);
    expect(bobEngine.rejections()).toEqual([
      expect.objectContaining({ id: move.id, code: 'WIP_LIMIT', name: 'moveCard' }),
    ]);

    await until(() => annEngine.query({ table: 'cards', where: { cardId: 'k1' } })[0]?.title === 'Bob was here', 'ann');
    const { tables: truth } = await serverState(ann.transport);
    expect(tables(bobEngine)).toEqual(truth);
    expect(tables(annEngine)).toEqual(truth);
  });

  it('drops a move the server refuses even when the client never heard the other move first', async () => {
    const server = startServer();
    const ann = profile(server, 'ann');
    const bob = profile(server, 'bob');
    const annEngine = await ann.open();
    await seed(annEngine);
    const bobEngine = await bob.open();
    await until(() => bobEngine.query({ table: 'cards' }).length === 2, 'bob to load the board');

    ann.transport.goOffline();
    bob.transport.goOffline();
    const annMove = annEngine.execute('moveCard', { boardId: 'b1', cardId: 'k1', toColumnId: 'doing' });
    const bobMove = bobEngine.execute('moveCard', { boardId: 'b1', cardId: 'k2', toColumnId: 'doing' });
    await Promise.all([annMove.durable, bobMove.durable]);
    ann.transport.goOnline();
    annEngine.setOnline(true);
    await annMove.confirmed;
    bob.transport.goOnline();
    bobEngine.setOnline(true);
    await expect(bobMove.confirmed).rejects.toMatchObject({ code: 'WIP_LIMIT' });
    await until(() => bobEngine.status().pending === 0, 'bob settled');
    const { tables: truth } = await serverState(bob.transport);
    expect(tables(bobEngine)).toEqual(truth);
    expect(truth.cards?.map((card) => [card.cardId, card.columnId])).toEqual([
      ['k1', 'doing'],
      ['k2', 'todo'],
    ]);
  });
});
