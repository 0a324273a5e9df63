import * as v from 'valibot';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandError } from '../client/index.ts';
import { CONFIRMED_RECORDS_KEPT } from '../client/storage/client-storage.ts';
import { until } from '../client/testing/harness.ts';
import { replay } from '../client/testing/replay.ts';
import { createServer } from '../server/index.ts';
import { sqliteStore } from '../server/sqlite.ts';
import { compareKeys, defineApp, type Row, table, type WireEvent } from '../shared/index.ts';
import { Engine, MemoryTransport, memoryStorage } from '../testing/index.ts';
import { tempDir } from './support/server-process.ts';

/**
 * TEST-PLAN L01 `long-offline-backlog`: a client comes back with 20,000 pending commands, a
 * few of them too large for the server on their own: three whose push body alone is over the
 * server's request limit (refused `413` as a whole request), three whose event is over the
 * 64 KiB event limit (settled rejected by the server). The server's operator set its body limit
 * to 256 KiB, below what the client assumes (it refuses args over 1 MiB at `execute`, and is
 * configured here for 2,000 commands and 8 MiB per push), so the client must learn the
 * server's count and byte limits from its `413` answers.
 *
 * Real paths: the real server in-process (`app.request`: the wire format and every check of
 * the real pipeline, without megabytes of loopback traffic competing for two cores) on a SQLite
 * file, and the real engine on its memory storage adapter. Not Dexie here: fake-indexeddb is a
 * pure-JS IndexedDB an order of magnitude slower than a browser's, and 20,000 outbox rows (plus
 * an outbox rewrite after each refused request) would spend the time budget there, not in
 * sync. Both adapters pass the same `runClientStorageContract`; the settled-record pruning
 * asserted below is the adapter's own.
 */
const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const notes = defineApp({
  name: 'notes',
  version: 1,
  events: { noted: v.object({ id: Id, text: v.string() }) },
  tables: { notes: table(v.object({ id: Id, text: v.string() }), { key: 'id' }) },
  projections: { noted: (tx, { data }) => tx.put('notes', data) },
  commands: {
    note: {
      args: v.object({ book: Id, id: Id, text: v.pipe(v.string(), v.maxLength(4_000_000)) }),
      scope: (args) => `book:${args.book}`,
      run(ctx, args) {
        ctx.emit('noted', { id: args.id, text: args.text });
      },
    },
  },
});
const BOOKS = ['book:a', 'book:b'];
const BACKLOG = 20_000;
/** Index → why it is oversized. */
const OVERSIZED = new Map<number, 'body' | 'event'>([
  [2_500, 'event'],
  [5_000, 'body'],
  [7_500, 'event'],
  [10_000, 'body'],
  [12_500, 'event'],
  [15_000, 'body'],
]);
const MiB = 1024 * 1024;
const BODY_LIMIT = 256 * 1024;

const dirs = tempDir('weft-l01-');
afterAll(() => dirs.dispose());

interface PushSeen {
  readonly bytes: number;
  readonly commands: number;
  readonly ids: string[];
  readonly status: number;
}

describe('L01 long offline backlog', () => {
  it(`pushes ${BACKLOG.toLocaleString('en')} pending commands in batches under the limits; oversized ones are rejected alone; converges`, async () => {
    const store = sqliteStore({ file: `${dirs.dir}/l01.db` });
    const server = createServer({
      app: notes,
      store,
      auth: { authenticate: () => ({ userId: 'ann' }), authorize: () => true },
      limits: { maxBodyBytes: BODY_LIMIT },
    });
    const pushes: PushSeen[] = [];
    const transport = new MemoryTransport(async (request) => {
      if (new URL(request.url).pathname !== '/v1/push') return server.request(request);
      const text = await request.clone().text();
      const bytes = new TextEncoder().encode(text).byteLength;
      const res = await server.request(request);
      let ids: string[] = [];
      try {
        ids = (JSON.parse(text) as { commands: Array<{ id: string }> }).commands.map((c) => c.id);
      } catch {
        // not JSON: the server says so
      }
      pushes.push({ bytes, commands: ids.length, ids, status: res.status });
      return res;
    });
    const storage = memoryStorage({ tables: notes.tables });
    const engine = await Engine.open({
      app: notes,
      storage,
      transport,
      scopes: BOOKS,
      sync: false, // offline: everything below waits in the outbox
      syncOptions: { backoff: { baseMs: 2, maxMs: 50 }, maxBatch: 2000, maxBatchBytes: 8 * MiB },
    });

    // 300 bytes per ordinary note, so that the server's byte limit binds before its count limit.
    const filler = 'x'.repeat(300);
    const oversized = new Map<string, 'body' | 'event'>();
    const confirmations: Array<Promise<unknown>> = [];
    const commandIds: string[] = [];
    for (let i = 0; i < BACKLOG; i++) {
      const kind = OVERSIZED.get(i);
      const text =
        kind === 'body' ? 'B'.repeat(300 * 1024) : kind === 'event' ? 'E'.repeat(80 * 1024) : `${i}:${filler}`;
      const run = engine.execute('note', { book: i % 2 ? 'a' : 'b', id: `n${i}`, text });
      if (kind) oversized.set(run.id, kind);
      commandIds.push(run.id);
      confirmations.push(
        run.confirmed.then(
          () => 'confirmed',
          (error: unknown) => error,
        ),
      );
    }
    await engine.flush();
    expect(engine.status().pending).toBe(BACKLOG);
    expect(pushes).toHaveLength(0);

    engine.startSync();
    const outcomes = await Promise.all(confirmations);
    await until(() => engine.status().pending === 0, 'the outbox to drain', 30_000);
    await engine.flush();

    // Each oversized command was refused on its own, with payload_too_large, and marked.
    const ids = [...oversized.keys()];
    const rejected = outcomes.flatMap((outcome, i) =>
      outcome === 'confirmed' ? [] : [[commandIds[i], outcome] as const],
    );
    expect(rejected.map(([id]) => id)).toEqual(ids);
    for (const [, error] of rejected) {
      expect(error).toBeInstanceOf(CommandError);
      expect((error as CommandError).code).toBe('payload_too_large');
    }
    expect(
      engine
        .rejections()
        .map((r) => [r.id, r.code])
        .sort(),
    ).toEqual(ids.map((id) => [id, 'payload_too_large']).sort());
    const alone413 = pushes.filter((p) => p.status === 413 && p.commands === 1).map((p) => p.ids[0]);
    expect(alone413.sort()).toEqual(ids.filter((id) => oversized.get(id) === 'body').sort());

    // Adaptive batches: two 413s taught the client the server's count and byte limits; after
    // that, every push that was not one oversized command alone fitted under both.
    const multi413 = pushes.filter((p) => p.status === 413 && p.commands > 1);
    expect(multi413.length).toBeLessThanOrEqual(2);
    const accepted = pushes.filter((p) => p.status === 200);
    expect(accepted.every((p) => p.bytes <= BODY_LIMIT && p.commands <= 1000)).toBe(true);
    expect(pushes.every((p) => p.status === 200 || p.status === 413)).toBe(true);
    // Batches stayed large (no collapse to one command at a time after a refusal).
    expect(accepted.length).toBeLessThan(BACKLOG / 100);

    // Convergence: the server's streams are the client's confirmed state, each command once.
    const truth: Row[] = [];
    for (const scope of BOOKS) {
      const { events } = await store.readEvents(scope, 0, BACKLOG * 2);
      expect(new Set(events.map((e: WireEvent) => e.commandId)).size).toBe(events.length);
      expect(events.some((e) => oversized.has(e.commandId))).toBe(false);
      truth.push(...(replay(notes, events).notes ?? []));
    }
    expect(truth).toHaveLength(BACKLOG - OVERSIZED.size);
    const byId = (a: Row, b: Row) => compareKeys(String(a.id), String(b.id));
    expect(JSON.stringify([...engine.query({ table: 'notes' })].sort(byId))).toBe(JSON.stringify(truth.sort(byId)));

    // Bounded memory: the outbox is empty, and of the settled commands only the kept window of
    // confirmations (plus the rejection inbox) is remembered, in memory and on disk.
    expect(engine.pending()).toEqual([]);
    expect(engine.commandState(commandIds[0] ?? '')).toBe('unknown');
    expect(engine.commandState(commandIds.at(-1) ?? '')).toBe('confirmed');
    await engine.close();
    const stored = await storage.load({ scopes: BOOKS, newClientId: () => 'unused' });
    expect(stored.outbox).toEqual([]);
    const confirmedKept = stored.settled.filter((r) => r.status === 'confirmed').length;
    expect(confirmedKept).toBeLessThanOrEqual(CONFIRMED_RECORDS_KEPT + 100);
    expect(stored.settled.filter((r) => r.status === 'rejected')).toHaveLength(OVERSIZED.size);
    await store.close();
  }, 120_000);
});
