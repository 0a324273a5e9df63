import { describe, expect, it } from 'vitest';
import type { WireEvent } from '../../shared/index.ts';
import { type ClientStorage, CONFIRMED_RECORDS_KEPT, type OutboxRecord, type StorageCommit } from './client-storage.ts';

/**
 * The conformance suite of `ClientStorage`, run by every adapter. `database()` makes a fresh,
 * empty database and returns a function that opens a handle on it; calling that function again
 * is a reload.
 */
export function runClientStorageContract(name: string, database: () => () => ClientStorage): void {
  describe(`ClientStorage contract: ${name}`, () => {
    const load = (storage: ClientStorage, scopes: string[] = ['list:a']) =>
      storage.load({ scopes, newClientId: () => 'client-1' });

    it('creates the client id once and keeps it across reloads', async () => {
      const open = database();
      const first = await load(open());
      expect(first).toMatchObject({ clientId: 'client-1', lastSeq: 0, outbox: [], rows: [], settled: [] });
      const again = await open().load({ scopes: [], newClientId: () => 'client-2' });
      expect(again.clientId).toBe('client-1');
    });

    it('keeps the outbox in seq order with its counter', async () => {
      const open = database();
      const storage = open();
      await load(storage);
      await storage.commit({ outbox: [command(2), command(1)], lastSeq: 2 });
      await storage.commit({ outbox: [command(3)], lastSeq: 3 });
      const state = await load(open());
      expect(state.outbox.map((c) => c.seq)).toEqual([1, 2, 3]);
      expect(state.lastSeq).toBe(3);
    });

    it('applies commits in call order, without waiting between them', async () => {
      const storage = database()();
      await load(storage);
      const writes = [
        storage.commit({ outbox: [command(1), command(2)], lastSeq: 2 }),
        storage.commit({ trim: [1] }),
        storage.commit({ clearOutbox: true, outbox: [command(1, 'x')], lastSeq: 1 }),
      ];
      await Promise.all(writes);
      const state = await load(storage);
      expect(state.outbox).toEqual([command(1, 'x')]);
      expect(state.lastSeq).toBe(1);
    });

    it('commits a confirmed batch with its rows, cursor, trim and records, and loads it by scope', async () => {
      const open = database();
      const storage = open();
      await load(storage);
      await storage.commit({ outbox: [command(1), command(2, 'list:b')], lastSeq: 2 });
      await storage.commit(confirmedBatch());
      const state = await load(open(), ['list:a']);
      expect(state.outbox.map((c) => c.seq)).toEqual([2]);
      expect(state.cursors).toEqual({ 'list:a': 2, 'list:b': 1 });
      expect(state.rows.map((r) => r.key).sort()).toEqual(['i1', 'i2', 'j1']);
      expect(state.settled).toEqual([
        { status: 'confirmed', id: 'c1', seq: 1, name: 'add', scope: 'list:a', settledAt: 5 },
      ]);
      const other = await load(open(), ['list:c']);
      expect(other.rows.map((r) => r.key)).toEqual(['j1']); // list:b comes with its pending command
    });

    it('writes nothing when one part of a commit cannot be stored', async () => {
      const open = database();
      const storage = open();
      await load(storage);
      const broken = { ...command(1), args: { fn: () => 1 } } as OutboxRecord;
      await expect(storage.commit({ ...confirmedBatch(), outbox: [broken], lastSeq: 1 })).rejects.toThrow();
      const state = await load(open());
      expect(state).toMatchObject({ lastSeq: 0, outbox: [], rows: [], cursors: {}, settled: [] });
    });

    it('reads rows by declared index, by table and scope, sorted by key', async () => {
      const storage = database()();
      await load(storage);
      await storage.commit(confirmedBatch());
      expect(await storage.readRows('items', 'list:a')).toEqual([item('i1', 'a', true), item('i2', 'a', false)]);
      expect(await storage.readRows('items', 'list:a', { done: false })).toEqual([item('i2', 'a', false)]);
      expect(await storage.readRows('items', 'list:a', { listId: 'a', done: true })).toEqual([item('i1', 'a', true)]);
      expect(await storage.readRows('items', 'list:b', { done: false })).toEqual([]);
      await storage.commit({ rows: [{ table: 'items', scope: 'list:a', key: 'i1', row: null }] });
      expect(await storage.readRows('items', 'list:a', { done: true })).toEqual([]);
    });

    it('reads rows by key, in the order asked, undefined where none is stored in that scope', async () => {
      const storage = database()();
      await load(storage);
      await storage.commit(confirmedBatch());
      expect(await storage.getRows('items', 'list:a', ['i2', 'nope', 'i1'])).toEqual([
        item('i2', 'a', false),
        undefined,
        item('i1', 'a', true),
      ]);
      expect(await storage.getRows('items', 'list:b', ['i1'])).toEqual([undefined]);
      await storage.commit({ rows: [{ table: 'items', scope: 'list:a', key: 'i1', row: null }] });
      expect(await storage.getRows('items', 'list:a', ['i1'])).toEqual([undefined]);
    });

    it('resets one scope without touching the others or the outbox', async () => {
      const open = database();
      const storage = open();
      await load(storage);
      await storage.commit({ outbox: [command(1)], lastSeq: 1 });
      await storage.commit(confirmedBatch());
      await storage.commit({ resetScopes: ['list:a'], cursors: { 'list:a': 1 }, events: [event('list:a', 1)] });
      const state = await load(open(), ['list:a', 'list:b']);
      expect(state.cursors).toEqual({ 'list:a': 1, 'list:b': 1 });
      expect(state.rows.map((r) => r.key)).toEqual(['j1']);
    });

    it('keeps the newest confirmed records, and prunes the older ones', async () => {
      const storage = database()();
      await load(storage);
      const confirmed = (seq: number) =>
        ({ status: 'confirmed', id: `c${seq}`, seq, name: 'add', scope: 's', settledAt: 1 }) as const;
      for (let from = 1; from <= 1300; from += 100) {
        await storage.commit({ settled: Array.from({ length: 100 }, (_, i) => confirmed(from + i)) });
      }
      const seqs = (await load(storage)).settled.map((record) => record.seq).sort((a, b) => a - b);
      expect(seqs.at(-1)).toBe(1300);
      expect(seqs.length).toBeGreaterThanOrEqual(CONFIRMED_RECORDS_KEPT);
      expect(seqs.length).toBeLessThanOrEqual(CONFIRMED_RECORDS_KEPT + 100);
    });

    it("reads back one scope's stored events in seq order, and none after a reset", async () => {
      const open = database();
      const storage = open();
      await load(storage);
      await storage.commit({ events: [event('list:a', 2), event('list:b', 1), event('list:a', 1)] });
      expect((await open().readEvents('list:a')).map((e) => e.seq)).toEqual([1, 2]);
      expect(await storage.readEvents('list:b')).toEqual([event('list:b', 1)]);
      await storage.commit({ resetScopes: ['list:a'] });
      expect(await storage.readEvents('list:a')).toEqual([]);
      expect(await storage.readEvents('list:c')).toEqual([]);
    });

    it('keeps scope meta per scope, loads it with its scope, and erases it with a reset', async () => {
      const open = database();
      const storage = open();
      await load(storage);
      const mark = { kind: 'quarantined', scope: 'list:a', seq: 3, type: 'added', message: 'boom' } as const;
      await storage.commit({
        scopeMeta: { 'list:a': { appVersion: 2, mark }, 'list:b': { appVersion: 2, mark: null } },
      });
      expect((await load(open(), ['list:a', 'list:b'])).scopeMeta).toEqual({
        'list:a': { appVersion: 2, mark },
        'list:b': { appVersion: 2, mark: null },
      });
      expect((await load(open(), ['list:c'])).scopeMeta).toEqual({});
      await storage.commit({ resetScopes: ['list:a'] });
      expect((await load(open(), ['list:a', 'list:b'])).scopeMeta).toEqual({ 'list:b': { appVersion: 2, mark: null } });
      await storage.commit({ resetScopes: ['list:b'], scopeMeta: { 'list:b': { appVersion: 3, mark: null } } });
      expect((await load(open(), ['list:b'])).scopeMeta).toEqual({ 'list:b': { appVersion: 3, mark: null } });
    });

    it('keeps the version of an outbox record, and reads records written without one', async () => {
      const open = database();
      const storage = open();
      await load(storage);
      await storage.commit({ outbox: [command(1), { ...command(2), version: 3 }], lastSeq: 2 });
      const { outbox } = await load(open());
      expect(outbox).toEqual([command(1), { ...command(2), version: 3 }]);
      expect(outbox[0]?.version).toBeUndefined();
    });

    it('keeps rejections until dismissed', async () => {
      const open = database();
      const storage = open();
      await load(storage);
      const rejected = {
        status: 'rejected',
        id: 'c9',
        seq: 9,
        name: 'add',
        args: { listId: 'a' },
        scope: 'list:a',
        code: 'LIMIT',
        message: 'full',
        settledAt: 1,
      } as const;
      await storage.commit({ settled: [rejected] });
      expect((await load(open())).settled).toEqual([rejected]);
      await storage.commit({ dismiss: ['c9'] });
      expect((await load(open())).settled).toEqual([]);
    });
  });
}

function command(seq: number, scope = 'list:a'): OutboxRecord {
  return { seq, id: `c${seq}`, name: 'add', args: { n: seq, scope }, at: 1, scope, baseSeq: 0, digest: 'd' };
}

function item(itemId: string, listId: string, done: boolean) {
  return { itemId, listId, text: itemId, done };
}

function event(scope: string, seq: number): WireEvent {
  return { seq, scope, type: 'added', data: {}, commandId: `c${seq}`, clientId: 'client-1', at: 1 };
}

function confirmedBatch(): StorageCommit {
  return {
    events: [event('list:a', 1), event('list:a', 2), event('list:b', 1)],
    rows: [
      { table: 'items', scope: 'list:a', key: 'i2', row: item('i2', 'a', false) },
      { table: 'items', scope: 'list:a', key: 'i1', row: item('i1', 'a', true) },
      { table: 'items', scope: 'list:b', key: 'j1', row: item('j1', 'b', true) },
    ],
    cursors: { 'list:a': 2, 'list:b': 1 },
    trim: [1],
    settled: [{ status: 'confirmed', id: 'c1', seq: 1, name: 'add', scope: 'list:a', settledAt: 5 }],
  };
}
