/**
 * The weft engine on its own in a worker, over the real Dexie storage, synced through the real
 * HTTP transport code (`MemoryTransport` wraps `httpTransport`) with a fake server in the
 * same worker that serves the bench history (history.ts): pulls page it, one live stream
 * delivers chosen bursts, and every push is refused with a 503 so the pending commands stay
 * pending. The rebase and catch-up benches then time the client's own work with no network
 * and no server cost: SSE parsing, schema checks, apply, rebase, live queries and storage.
 */
import * as Comlink from 'comlink';
import { kanban } from '../../../demo/app.ts';
import { dexieStorage, Engine, MemoryTransport } from '../../../testing/index.ts';
import { cardsAt, historyCard, historyEvent } from './history.ts';

type KanbanEngine = Engine<typeof kanban>;

export interface EngineWorkerApi {
  /** Opens `dbName` (its history at `head` events) with sync stopped; `head` is the server's too. */
  open(dbName: string, board: string, head: number): Promise<void>;
  /** Runs `count` renames of stored cards (pending, never confirmed); resolves once all are durable. */
  pend(count: number): Promise<void>;
  /** Starts sync and waits until the live stream is open (nothing to catch up). */
  follow(): Promise<void>;
  /** The server appends `count` events of the history and sends them in one live message. */
  deliver(count: number): Promise<{ visibleMs: number; durableMs: number }>;
  /** The server appends `count` events; sync starts and pulls them page by page. */
  catchUp(count: number): Promise<{ visibleMs: number; durableMs: number }>;
  /** Closes the engine; returns the stored head. */
  close(): Promise<number>;
  /** Empties the outbox of `dbName` (the pending commands of a finished step). */
  clearOutbox(dbName: string): Promise<void>;
}

const encoder = new TextEncoder();
let engine: KanbanEngine | null = null;
let board = 'b1';
let head = 0;
let live: ReadableStreamDefaultController<Uint8Array> | null = null;
let liveOpened: () => void = () => undefined;

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** The fake server: `/v1/pull` pages the history up to `head`, `/v1/live` is held open. */
function serve(request: Request): Response {
  const url = new URL(request.url);
  if (url.pathname === '/v1/pull') {
    const after = Number(url.searchParams.get('after') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 1000);
    const last = Math.min(head, after + limit);
    const events = [];
    for (let seq = after + 1; seq <= last; seq++) events.push(historyEvent(board, seq));
    return json({ scope: `board:${board}`, events, head, more: last < head });
  }
  if (url.pathname === '/v1/live') {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        live = controller;
        liveOpened();
      },
      cancel() {
        live = null;
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  }
  return json({ error: { code: 'unavailable', message: 'bench: pushes are held' } }, 503);
}

/** Resolves once the engine holds the history's event at `seq` (its card's title). */
function visible(weft: KanbanEngine, seq: number): Promise<void> {
  const { cardId, title } = historyCard(seq);
  return new Promise((resolve) => {
    const stop = weft.subscribe({ table: 'cards', where: { cardId } }, (rows) => {
      if (rows[0]?.title === title) {
        queueMicrotask(() => stop());
        resolve();
      }
    });
  });
}

function opened(): KanbanEngine {
  if (!engine) throw new Error('bench: the engine worker is not open');
  return engine;
}

const api: EngineWorkerApi = {
  async open(dbName, name, stored) {
    board = name;
    head = stored;
    const transport = new MemoryTransport(serve, { url: 'http://bench.test', auth: 'demo:bench' });
    engine = await Engine.open({
      app: kanban,
      storage: dexieStorage({ name: dbName, tables: kanban.tables }),
      transport,
      scopes: [`board:${board}`],
      sync: false,
    });
  },
  async pend(count) {
    const weft = opened();
    const cards = Math.max(1, cardsAt(head));
    const runs = [];
    for (let i = 0; i < count; i++) {
      runs.push(weft.execute('renameCard', { boardId: board, cardId: `c${i % cards}`, title: `pending ${i}` }));
    }
    await Promise.all(runs.map((run) => run.durable));
  },
  async follow() {
    const streaming = new Promise<void>((resolve) => {
      liveOpened = resolve;
    });
    opened().startSync();
    await streaming;
  },
  async deliver(count) {
    const weft = opened();
    const events = [];
    for (let seq = head + 1; seq <= head + count; seq++) events.push(historyEvent(board, seq));
    head += count;
    const frame = encoder.encode(
      `event: events\ndata: ${JSON.stringify({ scope: `board:${board}`, events, head })}\n\n`,
    );
    const seen = visible(weft, head);
    const started = performance.now();
    live?.enqueue(frame);
    await seen;
    const visibleMs = performance.now() - started;
    await weft.flush();
    return { visibleMs, durableMs: performance.now() - started };
  },
  async catchUp(count) {
    const weft = opened();
    head += count;
    const seen = visible(weft, head);
    const started = performance.now();
    weft.startSync();
    await seen;
    const visibleMs = performance.now() - started;
    await weft.flush();
    return { visibleMs, durableMs: performance.now() - started };
  },
  async close() {
    await engine?.close();
    engine = null;
    live = null;
    return head;
  },
  async clearOutbox(dbName) {
    const storage = dexieStorage({ name: dbName, tables: kanban.tables });
    await storage.commit({ clearOutbox: true });
    await storage.close();
  },
};

Comlink.expose(api);
