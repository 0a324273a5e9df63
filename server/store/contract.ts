/**
 * The conformance suite of the `EventStore` port (port.ts): every adapter runs it, and an adapter
 * that passes it can back the push pipeline. Each test gets a fresh, empty store from `makeStore`
 * and closes it afterwards.
 *
 * @example
 * runEventStoreContract('sqlite :memory:', () => sqliteStore({ file: ':memory:' }));
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditOutcome } from '../../shared/index.ts';
import { type CommandOutcome, type CommitRequest, type EventStore, StoreConflict } from './port.ts';

export function runEventStoreContract(name: string, makeStore: () => Promise<EventStore> | EventStore): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('commit', () => {
      it('numbers a scope’s events head + 1, head + 2, … in the order given', async () => {
        const first = await store.commit(
          request([outcome({ seq: 1, events: [ev('a', 1), ev('b', 2)] }), outcome({ seq: 2, events: [ev('c', 3)] })]),
        );
        expect(first.events.map((list) => list.map((e) => [e.seq, e.type]))).toEqual([
          [
            [1, 'a'],
            [2, 'b'],
          ],
          [[3, 'c']],
        ]);
        expect(first.heads.get('s')).toBe(3);
        const second = await store.commit(
          request([outcome({ seq: 3, events: [ev('d', 4)] })], { heads: { s: 3 }, clients: { c1: 2 } }),
        );
        expect(second.events[0]?.[0]?.seq).toBe(4);
        const { events, head } = await store.readEvents('s', 0, 100);
        expect(head).toBe(4);
        expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
        expect(events.map((e) => e.type)).toEqual(['a', 'b', 'c', 'd']);
      });

      it('stores events exactly as given, with their command, client and time', async () => {
        const data = { text: 'héllo ✓ "quoted"', nested: { list: [1, null, true], n: -1.5 }, empty: {} };
        const { events } = await store.commit(
          request([outcome({ clientId: 'c1', seq: 1, commandId: 'cmd-x', at: 1234, events: [{ type: 't', data }] })]),
        );
        const expected = { seq: 1, scope: 's', type: 't', data, commandId: 'cmd-x', clientId: 'c1', at: 1234 };
        expect(events[0]).toEqual([expected]);
        expect((await store.readEvents('s', 0, 10)).events).toEqual([expected]);
      });

      it('keeps scopes apart, each with its own gap-free stream', async () => {
        const result = await store.commit(
          request([
            outcome({ seq: 1, scope: 'a', events: [ev('x', 1)] }),
            outcome({ seq: 2, scope: 'b', events: [ev('y', 1), ev('y', 2)] }),
            outcome({ seq: 3, scope: 'a', events: [ev('z', 1)] }),
          ]),
        );
        expect(result.events.map((list) => list.map((e) => `${e.scope}:${e.seq}`))).toEqual([
          ['a:1'],
          ['b:1', 'b:2'],
          ['a:2'],
        ]);
        expect(result.heads.get('a')).toBe(2);
        expect(result.heads.get('b')).toBe(2);
        expect((await store.readEvents('a', 0, 10)).events.map((e) => e.type)).toEqual(['x', 'z']);
        expect((await store.readEvents('b', 0, 10)).head).toBe(2);
      });

      it('stores a rejected command’s result and audit record without events', async () => {
        const rejected = outcome({ seq: 1, status: 'rejected', code: 'NOPE', message: 'no', outcome: 'rejected' });
        const result = await store.commit(request([rejected]));
        expect(result.events).toEqual([[]]);
        expect((await store.readEvents('s', 0, 0)).head).toBe(0);
        const lookup = await store.lookupClient('c1', { seqs: [1], commandIds: [] });
        expect(lookup.results).toMatchObject([{ status: 'rejected', eventCount: 0, code: 'NOPE', message: 'no' }]);
        expect((await store.queryAudit({ limit: 10 })).records).toMatchObject([
          { outcome: 'rejected', eventSeqs: [], code: 'NOPE' },
        ]);
      });

      it('throws StoreConflict and writes nothing when a scope head moved', async () => {
        await store.commit(request([outcome({ clientId: 'other', seq: 1, events: [ev('a', 1)] })]));
        const before = await snapshotOf(store);
        const stale = request([outcome({ seq: 1, events: [ev('b', 1)] })], { heads: { s: 0 } });
        await expect(store.commit(stale)).rejects.toBeInstanceOf(StoreConflict);
        expect(await snapshotOf(store)).toEqual(before);
      });

      it('throws StoreConflict when a head expected for a scope without events moved', async () => {
        await store.commit(request([outcome({ clientId: 'other', seq: 1, scope: 't', events: [ev('a', 1)] })]));
        const stale = request([outcome({ seq: 1, events: [ev('b', 1)] })], { heads: { s: 0, t: 0 } });
        await expect(store.commit(stale)).rejects.toBeInstanceOf(StoreConflict);
        expect((await store.readEvents('s', 0, 10)).head).toBe(0);
      });

      it('throws StoreConflict and writes nothing when a client position moved', async () => {
        await store.commit(request([outcome({ seq: 1, events: [ev('a', 1)] })]));
        const before = await snapshotOf(store);
        const stale = request([outcome({ seq: 2, commandId: 'c1-2', events: [ev('b', 1)] })], {
          heads: { s: 1 },
          clients: { c1: 0 },
        });
        await expect(store.commit(stale)).rejects.toBeInstanceOf(StoreConflict);
        expect(await snapshotOf(store)).toEqual(before);
        // The same commit with the right position goes through.
        await store.commit(request(stale.outcomes, { heads: { s: 1 }, clients: { c1: 1 } }));
        expect((await store.lookupClient('c1', { seqs: [], commandIds: [] })).client?.lastSeq).toBe(2);
      });

      it('refuses a second result for the same (clientId, seq), atomically', async () => {
        await store.commit(request([outcome({ seq: 1, commandId: 'first', events: [ev('a', 1)] })]));
        const before = await snapshotOf(store);
        // Bypass the position check: a buggy caller claiming the client is still at 0 elsewhere.
        const again = request(
          [
            outcome({ clientId: 'c2', seq: 1, commandId: 'fine', events: [ev('ok', 1)] }),
            outcome({ seq: 1, commandId: 'second', events: [ev('b', 1)] }),
          ],
          { heads: { s: 1 }, clients: { c2: 0 } },
        );
        await expect(store.commit(again)).rejects.toThrow();
        expect(await snapshotOf(store)).toEqual(before);
        expect((await store.lookupClient('c2', { seqs: [1], commandIds: ['fine'] })).results).toEqual([]);
      });

      it('refuses a command id that is already stored, atomically', async () => {
        await store.commit(request([outcome({ seq: 1, commandId: 'dup', events: [ev('a', 1)] })]));
        const before = await snapshotOf(store);
        const again = request([outcome({ clientId: 'c2', seq: 1, commandId: 'dup', events: [ev('b', 1)] })], {
          heads: { s: 1 },
          clients: { c2: 0 },
        });
        await expect(store.commit(again)).rejects.toThrow();
        expect(await snapshotOf(store)).toEqual(before);
      });

      it('refuses a duplicate command id within one commit', async () => {
        const twice = request([
          outcome({ seq: 1, commandId: 'same', events: [ev('a', 1)] }),
          outcome({ seq: 2, commandId: 'same', events: [ev('b', 1)] }),
        ]);
        await expect(store.commit(twice)).rejects.toThrow();
        expect((await store.readEvents('s', 0, 10)).head).toBe(0);
        expect((await store.lookupClient('c1', { seqs: [1, 2], commandIds: ['same'] })).client).toBeNull();
      });

      it('refuses a client that belongs to another user', async () => {
        await store.commit(request([outcome({ seq: 1, userId: 'alice' })]));
        const theft = request([outcome({ seq: 2, commandId: 'c1-2', userId: 'mallory' })], { clients: { c1: 1 } });
        await expect(store.commit(theft)).rejects.toBeInstanceOf(StoreConflict);
        const lookup = await store.lookupClient('c1', { seqs: [2], commandIds: [] });
        expect(lookup.client).toEqual({ clientId: 'c1', userId: 'alice', lastSeq: 1 });
        expect(lookup.results).toEqual([]);
      });

      it('never leaves a gap under concurrent commits to one scope', async () => {
        const writers = 8;
        const perWriter = 6;
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            for (let i = 1; i <= perWriter; i++) {
              const o = outcome({ clientId: `w${w}`, seq: i, events: [ev('x', w), ev('y', i)] });
              for (let attempt = 0; ; attempt++) {
                const { head } = await store.readEvents('s', 0, 0);
                try {
                  await store.commit(request([o], { heads: { s: head }, clients: { [`w${w}`]: i - 1 } }));
                  break;
                } catch (error) {
                  if (!(error instanceof StoreConflict) || attempt > 500) throw error;
                }
              }
            }
          }),
        );
        const { events, head } = await store.readEvents('s', 0, 1000);
        expect(head).toBe(writers * perWriter * 2);
        expect(events.map((e) => e.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
        // Each command's two events are adjacent and in the order given.
        for (let i = 0; i < events.length; i += 2) {
          expect([events[i]?.type, events[i + 1]?.type, events[i]?.commandId]).toEqual([
            'x',
            'y',
            events[i + 1]?.commandId,
          ]);
        }
        for (let w = 0; w < writers; w++) {
          expect((await store.lookupClient(`w${w}`, { seqs: [], commandIds: [] })).client?.lastSeq).toBe(perWriter);
        }
      });
    });

    describe('readEvents', () => {
      beforeEach(async () => {
        await store.commit(request([outcome({ seq: 1, events: Array.from({ length: 10 }, (_, i) => ev('e', i)) })]));
      });

      it('pages with after and limit', async () => {
        const page = await store.readEvents('s', 3, 4);
        expect(page.head).toBe(10);
        expect(page.events.map((e) => e.seq)).toEqual([4, 5, 6, 7]);
        expect((await store.readEvents('s', 8, 100)).events.map((e) => e.seq)).toEqual([9, 10]);
        expect((await store.readEvents('s', 10, 100)).events).toEqual([]);
      });

      it('reads only the head with limit 0', async () => {
        expect(await store.readEvents('s', 0, 0)).toEqual({ events: [], head: 10 });
      });

      it('answers an unknown scope with head 0', async () => {
        expect(await store.readEvents('nowhere', 0, 10)).toEqual({ events: [], head: 0 });
      });
    });

    describe('lookupClient', () => {
      beforeEach(async () => {
        await store.commit(
          request([
            outcome({ seq: 1, commandId: 'k1', name: 'make', argsJson: '{"a":1}', events: [ev('a', 1)] }),
            outcome({ seq: 2, commandId: 'k2', events: [ev('b', 1), ev('c', 2)] }),
            outcome({ seq: 3, commandId: 'k3', status: 'rejected', code: 'X', message: 'm', outcome: 'rejected' }),
          ]),
        );
      });

      it('returns the client record', async () => {
        expect((await store.lookupClient('c1', { seqs: [], commandIds: [] })).client).toEqual({
          clientId: 'c1',
          userId: 'u1',
          lastSeq: 3,
        });
        expect(await store.lookupClient('ghost', { seqs: [1], commandIds: ['nope'] })).toEqual({
          client: null,
          results: [],
        });
      });

      it('finds stored results by seq', async () => {
        const { results } = await store.lookupClient('c1', { seqs: [1, 2, 9], commandIds: [] });
        expect(sortById(results)).toEqual([
          {
            clientId: 'c1',
            seq: 1,
            commandId: 'k1',
            name: 'make',
            argsJson: '{"a":1}',
            status: 'applied',
            scope: 's',
            firstSeq: 1,
            eventCount: 1,
            code: null,
            message: null,
          },
          expect.objectContaining({ seq: 2, commandId: 'k2', firstSeq: 2, eventCount: 2 }),
        ]);
      });

      it('finds stored results by command id, once even when both keys match', async () => {
        const { results } = await store.lookupClient('c1', { seqs: [3], commandIds: ['k3', 'k2', 'missing'] });
        expect(sortById(results)).toEqual([
          expect.objectContaining({ commandId: 'k2', seq: 2 }),
          expect.objectContaining({ commandId: 'k3', seq: 3, status: 'rejected', code: 'X', message: 'm' }),
        ]);
      });

      it('finds command ids stored by another client among many ids of a new push', async () => {
        // A push's seqs above the client's last seq and ids never stored, with two stored ones among them.
        const ids = Array.from({ length: 50 }, (_, i) => (i === 7 ? 'k1' : i === 31 ? 'k3' : `new-${i}`));
        const { results } = await store.lookupClient('c2', { seqs: ids.map((_, i) => i + 1), commandIds: ids });
        expect(sortById(results)).toEqual([
          expect.objectContaining({ clientId: 'c1', commandId: 'k1' }),
          expect.objectContaining({ clientId: 'c1', commandId: 'k3' }),
        ]);
      });

      it('finds a command id stored by another client (ids are unique across clients)', async () => {
        const { client, results } = await store.lookupClient('c2', { seqs: [1], commandIds: ['k1'] });
        expect(client).toBeNull();
        expect(results).toEqual([expect.objectContaining({ clientId: 'c1', commandId: 'k1' })]);
      });
    });

    describe('queryAudit', () => {
      beforeEach(async () => {
        await store.commit(
          request([
            outcome({ seq: 1, scope: 'a', name: 'add', recordedAt: 100, events: [ev('x', 1)] }),
            outcome({
              seq: 2,
              scope: 'b',
              name: 'move',
              recordedAt: 200,
              outcome: 'rebased',
              intervened: [
                {
                  seq: 1,
                  type: 'x',
                  commandId: 'k',
                  clientId: 'c9',
                  overwrote: [{ table: 't', key: 'r', field: 'f' }],
                },
              ],
              events: [ev('y', 1), ev('z', 2)],
            }),
          ]),
        );
        await store.commit(
          request(
            [
              outcome({
                clientId: 'c2',
                userId: 'u2',
                seq: 1,
                scope: 'a',
                name: 'add',
                recordedAt: 300,
                events: [ev('w', 1)],
              }),
              outcome({
                clientId: 'c2',
                userId: 'u2',
                seq: 2,
                scope: 'a',
                name: 'move',
                recordedAt: 400,
                status: 'rejected',
                code: 'NO',
                message: 'never',
                outcome: 'rejected',
              }),
            ],
            { heads: { a: 1 } },
          ),
        );
      });

      const records = (page: { records: Array<{ overwrote?: unknown }> }) => page.records.map((r) => r.overwrote);
      const ids = async (query: Parameters<EventStore['queryAudit']>[0]) =>
        (await store.queryAudit(query)).records.map((r) => `${r.clientId}/${r.seq}`);

      it('returns whole records in the order they were written', async () => {
        const { records, next } = await store.queryAudit({ limit: 100 });
        expect(next).toBeNull();
        expect(records.map((r) => `${r.clientId}/${r.seq}`)).toEqual(['c1/1', 'c1/2', 'c2/1', 'c2/2']);
        const ids = records.map((r) => r.id);
        expect([...ids].sort((x, y) => x - y)).toEqual(ids);
        expect(new Set(ids).size).toBe(4);
        expect(records[1]).toEqual({
          id: records[1]?.id,
          recordedAt: 200,
          scope: 'b',
          commandId: 'c1-2',
          clientId: 'c1',
          userId: 'u1',
          name: 'move',
          args: { n: 2 },
          seq: 2,
          baseSeq: 0,
          headSeq: 0,
          outcome: 'rebased',
          code: null,
          message: null,
          eventSeqs: [1, 2],
          intervenedCount: 1,
          intervened: [
            { seq: 1, type: 'x', commandId: 'k', clientId: 'c9', overwrote: [{ table: 't', key: 'r', field: 'f' }] },
          ],
          overwrote: [{ table: 't', key: 'r', field: 'f', seq: 1, type: 'x', commandId: 'k', clientId: 'c9' }],
        });
        expect(records[2]?.eventSeqs).toEqual([2]);
        expect(records[3]).toMatchObject({ outcome: 'rejected', code: 'NO', message: 'never', eventSeqs: [] });
      });

      it('filters on lost updates (overwrote)', async () => {
        expect(await ids({ limit: 100, overwrote: 'true' })).toEqual(['c1/2']);
        expect(await ids({ limit: 100, overwrote: 'false' })).toEqual(['c1/1', 'c2/1', 'c2/2']);
        expect(records(await store.queryAudit({ limit: 100, overwrote: 'false' }))).toEqual([
          undefined,
          undefined,
          undefined,
        ]);
      });

      it('filters by scope, outcome, client, user and command', async () => {
        expect(await ids({ limit: 100, scope: 'a' })).toEqual(['c1/1', 'c2/1', 'c2/2']);
        expect(await ids({ limit: 100, outcome: 'rejected' })).toEqual(['c2/2']);
        expect(await ids({ limit: 100, outcome: 'clean' })).toEqual(['c1/1', 'c2/1']);
        expect(await ids({ limit: 100, client: 'c2' })).toEqual(['c2/1', 'c2/2']);
        expect(await ids({ limit: 100, user: 'u1' })).toEqual(['c1/1', 'c1/2']);
        expect(await ids({ limit: 100, command: 'move' })).toEqual(['c1/2', 'c2/2']);
        expect(await ids({ limit: 100, scope: 'a', command: 'move', user: 'u2' })).toEqual(['c2/2']);
        expect(await ids({ limit: 100, scope: 'zzz' })).toEqual([]);
      });

      it('filters by time: since inclusive, until exclusive', async () => {
        expect(await ids({ limit: 100, since: 200 })).toEqual(['c1/2', 'c2/1', 'c2/2']);
        expect(await ids({ limit: 100, until: 300 })).toEqual(['c1/1', 'c1/2']);
        expect(await ids({ limit: 100, since: 200, until: 400 })).toEqual(['c1/2', 'c2/1']);
      });

      it('pages with limit, next and after, in write order', async () => {
        const first = await store.queryAudit({ limit: 3 });
        expect(first.records.map((r) => r.seq)).toEqual([1, 2, 1]);
        expect(first.next).toBe(first.records.at(-1)?.id);
        const second = await store.queryAudit({ limit: 3, after: first.next ?? 0 });
        expect(second.records.map((r) => `${r.clientId}/${r.seq}`)).toEqual(['c2/2']);
        expect(second.next).toBeNull();
        // A page that ends exactly at the last record says so.
        const exact = await store.queryAudit({ limit: 4 });
        expect(exact.next).toBeNull();
        // Filters and the cursor combine.
        const scoped = await store.queryAudit({ limit: 1, scope: 'a' });
        const rest = await store.queryAudit({ limit: 10, scope: 'a', after: scoped.next ?? 0 });
        expect([...scoped.records, ...rest.records].map((r) => `${r.clientId}/${r.seq}`)).toEqual([
          'c1/1',
          'c2/1',
          'c2/2',
        ]);
      });
    });

    describe('snapshots', () => {
      it('loads null before any snapshot, then the latest one saved', async () => {
        expect(await store.loadSnapshot('s')).toBeNull();
        const tables = { cards: [{ id: 'x', title: 'é', n: 1, tags: ['a'] }], boards: [] };
        await store.saveSnapshot({ scope: 's', seq: 5, tables });
        expect(await store.loadSnapshot('s')).toEqual({ scope: 's', seq: 5, tables });
        await store.saveSnapshot({ scope: 's', seq: 9, tables: { cards: [] } });
        expect(await store.loadSnapshot('s')).toEqual({ scope: 's', seq: 9, tables: { cards: [] } });
        expect(await store.loadSnapshot('other')).toBeNull();
      });

      it('keeps the newer snapshot when an older one is saved late (another node)', async () => {
        await store.saveSnapshot({ scope: 's', seq: 9, tables: { cards: [{ id: 'new' }] } });
        await store.saveSnapshot({ scope: 's', seq: 4, tables: { cards: [{ id: 'old' }] } });
        expect((await store.loadSnapshot('s'))?.seq).toBe(9);
      });
    });

    it('reports its kind', () => {
      expect(typeof store.kind).toBe('string');
      expect(store.kind.length).toBeGreaterThan(0);
    });
  });
}

interface OutcomeInput {
  clientId?: string;
  userId?: string;
  seq: number;
  commandId?: string;
  name?: string;
  argsJson?: string;
  at?: number;
  scope?: string;
  status?: 'applied' | 'rejected';
  events?: Array<{ type: string; data: unknown }>;
  code?: string | null;
  message?: string | null;
  recordedAt?: number;
  outcome?: AuditOutcome;
  intervened?: CommandOutcome['audit']['intervened'];
}

function outcome(input: OutcomeInput): CommandOutcome {
  const clientId = input.clientId ?? 'c1';
  const intervened = input.intervened ?? [];
  return {
    clientId,
    userId: input.userId ?? (clientId === 'c1' ? 'u1' : `user-${clientId}`),
    seq: input.seq,
    commandId: input.commandId ?? `${clientId}-${input.seq}`,
    name: input.name ?? 'cmd',
    args: { n: input.seq },
    argsJson: input.argsJson ?? `{"n":${input.seq}}`,
    at: input.at ?? 1_700_000_000_000 + input.seq,
    scope: input.scope ?? 's',
    status: input.status ?? 'applied',
    events: input.events ?? [],
    code: input.code ?? null,
    message: input.message ?? null,
    audit: {
      recordedAt: input.recordedAt ?? 1_700_000_000_000,
      baseSeq: 0,
      headSeq: 0,
      intervenedCount: intervened.length,
      intervened,
      outcome: input.outcome ?? 'clean',
    },
  };
}

function ev(type: string, n: number): { type: string; data: unknown } {
  return { type, data: { n } };
}

/**
 * A commit request for `outcomes`: every scope they name is expected at head 0 unless `heads`
 * says otherwise; the client positions checked are exactly `clients`, or else 0 for each client.
 */
function request(
  outcomes: ReadonlyArray<CommandOutcome>,
  expected: { heads?: Record<string, number>; clients?: Record<string, number> } = {},
): CommitRequest {
  const heads = new Map(outcomes.map((o) => [o.scope, 0]));
  for (const [scope, head] of Object.entries(expected.heads ?? {})) heads.set(scope, head);
  const clients = new Map<string, number>(
    expected.clients ? Object.entries(expected.clients) : outcomes.map((o) => [o.clientId, 0]),
  );
  return { outcomes, expectedHeads: heads, expectedClientSeqs: clients };
}

function sortById<T extends { commandId: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => a.commandId.localeCompare(b.commandId));
}

/** Everything the tests above can observe, to show that a refused commit changed nothing. */
async function snapshotOf(store: EventStore) {
  const scopes = ['s', 'a', 'b', 't'];
  const clients = ['c1', 'c2', 'other'];
  return {
    streams: await Promise.all(scopes.map((s) => store.readEvents(s, 0, 1000))),
    audit: await store.queryAudit({ limit: 1000 }),
    clients: await Promise.all(
      clients.map((c) => store.lookupClient(c, { seqs: [1, 2, 3], commandIds: ['first', 'second', 'dup', 'fine'] })),
    ),
  };
}
