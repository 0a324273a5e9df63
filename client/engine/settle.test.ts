import '../../tests/support/fast-check-seed.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { executeCommand, MemoryTables, OverlayTables, type PushResult, type WireEvent } from '../../shared/index.ts';
import { todo } from '../testing/todo-app.ts';
import { applyConfirmed } from './apply-confirmed.ts';
import { rebuildOverlay } from './rebase.ts';
import { type PendingView, type SettleResult, type SettleState, settle } from './settle.ts';

const SCOPE = 'list:a';
const NOW = 1234;

/** A pending command of list `a`, frozen: settle must never write what it is given. */
function command(seq: number, id: string, name: string, args: Record<string, unknown>): PendingView {
  return Object.freeze({
    id,
    seq,
    name,
    args: Object.freeze({ listId: 'a', ...args }),
    at: 1,
    scope: SCOPE,
    runDigest: null,
    answeredThrough: null,
  });
}

const add = (seq: number, id: string, itemId: string) => command(seq, id, 'add', { itemId, text: '' });

/** A state with `confirmed` events applied and `pending` run on top (through settle's own rebase). */
function held(events: ReadonlyArray<WireEvent>, pending: ReadonlyArray<PendingView>): SettleState {
  const confirmed = new MemoryTables(todo.tables);
  const applied = applyConfirmed(todo, confirmed, SCOPE, 0, events);
  const base: SettleState = {
    scope: SCOPE,
    confirmed,
    cursor: applied.applied.at(-1)?.seq ?? 0,
    mark: null,
    overlay: new OverlayTables(todo.tables, confirmed),
    pending: Object.freeze([...pending]),
  };
  const { state } = settle(todo, base, { kind: 'rebase' }, NOW);
  return { ...state, pending: Object.freeze(state.pending.map((c) => Object.freeze(c))) };
}

function event(seq: number, commandId: string, type: string, data: Record<string, unknown>): WireEvent {
  return { seq, scope: SCOPE, type, data, commandId, clientId: commandId.startsWith('f') ? 'other' : 'me', at: 1 };
}

const added = (seq: number, commandId: string, itemId: string) =>
  event(seq, commandId, 'added', { listId: 'a', itemId, text: '' });

const items = (state: SettleState) =>
  state.overlay
    .find('items')
    .map((row) => row.itemId)
    .sort();
const ids = (list: ReadonlyArray<{ id: string }>) => list.map((entry) => entry.id);

describe('settle: confirmed events', () => {
  it('confirms its own command in order: it leaves, the overlay stays, nothing re-reads', () => {
    const state = held([], [add(1, 'c1', 'x'), add(2, 'c2', 'y')]);
    const overlay = state.overlay;
    const out = settle(todo, state, { kind: 'events', events: [added(1, 'c1', 'x')] }, NOW);
    expect(out.removed).toEqual([{ status: 'confirmed', id: 'c1', seq: 1, name: 'add', scope: SCOPE, settledAt: NOW }]);
    expect(ids(out.state.pending)).toEqual(['c2']);
    expect(out.state.cursor).toBe(1);
    expect(out.state.overlay).toBe(overlay); // the prefix shortcut: a rebuild would read the same
    expect(items(out.state)).toEqual(['x', 'y']);
    expect(out.invalidated).toBeNull();
    expect(out.changed).toEqual([]);
    expect(out.commit).toMatchObject({
      events: [added(1, 'c1', 'x')],
      rows: [{ table: 'items', scope: SCOPE, key: 'x', row: { itemId: 'x', listId: 'a', text: '', done: false } }],
      cursors: { [SCOPE]: 1 },
      trim: [1],
      settled: out.removed,
    });
    expect(out.commit).not.toHaveProperty('scopeMeta');
    expect(out).toMatchObject({ pull: false, marked: false, refused: null });
    // The input state as given: the step returned a new one.
    expect(state.cursor).toBe(0);
    expect(ids(state.pending)).toEqual(['c1', 'c2']);
  });

  it('rebases the pending commands on foreign events, and one that now fails stays with no effect', () => {
    const state = held([], [add(1, 'c1', 'x'), command(2, 'c2', 'toggle', { itemId: 'p' })]);
    expect(state.pending.map((c) => c.runDigest === null)).toEqual([false, true]); // no p yet
    const foreign = [added(1, 'f1', 'p'), added(2, 'f2', 'q'), added(3, 'f3', 'r')];
    const out = settle(todo, state, { kind: 'events', events: foreign }, NOW);
    expect(out.removed).toEqual([]);
    expect(ids(out.state.pending)).toEqual(['c1', 'c2']);
    // The list is full now: c1 fails (LIMIT), c2 finds p and toggles it.
    expect(out.state.pending.map((c) => c.runDigest === null)).toEqual([true, false]);
    expect(items(out.state)).toEqual(['p', 'q', 'r']);
    expect(out.state.overlay.get('items', 'p')?.done).toBe(true);
    expect(out.state.overlay).not.toBe(state.overlay);
    // Old overlay rows (x) and new ones (p), and the confirmed writes (p, q, r) re-read.
    const rows = new Set(out.invalidated?.rows.map((row) => row.key));
    expect([...rows].sort()).toEqual(['p', 'q', 'r', 'x']);
    expect(out.invalidated?.tables).toEqual([]);
    expect(out.commit).toMatchObject({ events: foreign, trim: [], settled: [] });
    // The pending commands given are untouched; the changed ones came back as new objects.
    expect(state.pending.map((c) => c.runDigest === null)).toEqual([false, true]);
    expect(out.changed).toEqual(out.state.pending);
  });

  it('ignores duplicate and older events, and asks for a pull on a gap', () => {
    const state = held([added(1, 'f1', 'p'), added(2, 'f2', 'q')], [add(1, 'c1', 'x')]);
    const again = settle(todo, state, { kind: 'events', events: [added(1, 'f1', 'p'), added(2, 'f2', 'q')] }, NOW);
    expect(again).toMatchObject({ removed: [], commit: null, invalidated: null, pull: false });
    expect(again.state.overlay).toBe(state.overlay);
    expect(again.state.cursor).toBe(2);
    const gap = settle(todo, state, { kind: 'events', events: [added(4, 'f4', 's')] }, NOW);
    expect(gap).toMatchObject({ removed: [], commit: null, pull: true });
    expect(gap.state.cursor).toBe(2);
    // A batch overlapping the head applies only what is new, up to the first missing seq.
    const overlap = settle(
      todo,
      state,
      { kind: 'events', events: [added(2, 'f2', 'q'), added(3, 'c1', 'x'), added(5, 'f5', 't')] },
      NOW,
    );
    expect(overlap.state.cursor).toBe(3);
    expect(ids(overlap.removed)).toEqual(['c1']);
    expect(overlap.pull).toBe(true);
  });

  it('marks the scope on an event it cannot read, and says so in the commit', () => {
    const state = held([], []);
    const out = settle(todo, state, { kind: 'events', events: [event(1, 'f1', 'exploded', {})] }, NOW);
    expect(out.marked).toBe(true);
    expect(out.state.mark).toMatchObject({ kind: 'stale', scope: SCOPE, seq: 1 });
    expect(out.commit?.scopeMeta).toEqual({ [SCOPE]: { appVersion: todo.version, mark: out.state.mark } });
    expect(out.state.cursor).toBe(1); // kept in the log all the same
  });
});

describe('settle: push answers and rejections', () => {
  const answer = (id: string, seq: number, rest: Partial<PushResult>): PushResult => ({
    id,
    seq,
    status: 'applied',
    ...rest,
  });

  it('settles rejections and event-less answers quietly, and applies the events of the others', () => {
    const state = held([], [add(1, 'c1', 'x'), command(2, 'c2', 'touch', {}), add(3, 'c3', 'y'), add(4, 'c4', 'z')]);
    const out = settle(
      todo,
      state,
      {
        kind: 'answers',
        answers: [
          answer('c1', 1, { status: 'rejected', code: 'NOPE', message: 'no' }),
          answer('c2', 2, {}),
          answer('c3', 3, { events: [added(1, 'c3', 'y')] }),
          answer('gone', 9, {}), // settled meanwhile
        ],
      },
      NOW,
    );
    expect(out.removed).toEqual([
      {
        status: 'rejected',
        id: 'c1',
        seq: 1,
        name: 'add',
        args: { listId: 'a', itemId: 'x', text: '' },
        scope: SCOPE,
        code: 'NOPE',
        message: 'no',
        settledAt: NOW,
      },
      { status: 'confirmed', id: 'c2', seq: 2, name: 'touch', scope: SCOPE, settledAt: NOW },
      { status: 'confirmed', id: 'c3', seq: 3, name: 'add', scope: SCOPE, settledAt: NOW },
    ]);
    expect(ids(out.state.pending)).toEqual(['c4']);
    expect(items(out.state)).toEqual(['y', 'z']); // x's effect is gone with its rejection
    expect(out.invalidated?.rows.map((row) => row.key)).toContain('x');
    expect(out.commit).toMatchObject({ events: [added(1, 'c3', 'y')], trim: [1, 2, 3] });
    expect(out.pull).toBe(false);
  });

  it('records how far an answer reached when its events cannot apply yet, and pulls after a duplicate', () => {
    const state = held([], [add(1, 'c1', 'x'), add(2, 'c2', 'y')]);
    const out = settle(
      todo,
      state,
      {
        kind: 'answers',
        answers: [answer('c1', 1, { events: [added(3, 'c1', 'x')] }), answer('c2', 2, { duplicate: true })],
      },
      NOW,
    );
    expect(out.pull).toBe(true); // seqs 1–2 are missing, and c2's events were left out
    expect(ids(out.removed)).toEqual(['c2']);
    expect(out.state.pending).toMatchObject([{ id: 'c1', answeredThrough: 3 }]);
    expect(out.changed).toEqual(out.state.pending);
    expect(state.pending[0]?.answeredThrough).toBeNull();
  });

  it('settles an answer whose events a snapshot already holds as confirmed', () => {
    const state = held([added(1, 'f1', 'p'), added(2, 'c1', 'x')], [add(1, 'c1', 'x')]);
    const out = settle(
      todo,
      state,
      { kind: 'answers', answers: [answer('c1', 1, { events: [added(2, 'c1', 'x')] })] },
      NOW,
    );
    expect(out.removed).toMatchObject([{ id: 'c1', status: 'confirmed' }]);
    expect(out.commit).toMatchObject({ events: [], trim: [1] });
  });

  it('rejects locally: the command leaves and its effect with it', () => {
    const state = held([], [add(1, 'c1', 'x'), add(2, 'c2', 'y')]);
    const out = settle(todo, state, { kind: 'reject', id: 'c2', code: 'too_large', message: 'big' }, NOW);
    expect(out.removed).toMatchObject([{ id: 'c2', status: 'rejected', code: 'too_large', message: 'big' }]);
    expect(items(out.state)).toEqual(['x']);
    expect(out.commit).toMatchObject({ events: [], rows: [], trim: [2] });
  });
});

describe('settle: resyncs', () => {
  it('replaces the scope by its whole stream: what it holds settles, the rest is pushed again', () => {
    const answered = (c: PendingView, through: number) => Object.freeze({ ...c, answeredThrough: through });
    const state = held([added(1, 'f1', 'p'), added(2, 'f2', 'q')], [add(1, 'c1', 'x'), add(2, 'c2', 'y')]);
    const before = { ...state, pending: state.pending.map((c, i) => answered(c, 3 + i)) };
    const out = settle(todo, before, { kind: 'replace', events: [added(1, 'f9', 'r'), added(2, 'c1', 'x')] }, NOW);
    expect(ids(out.removed)).toEqual(['c1']);
    expect(out.state.pending).toMatchObject([{ id: 'c2', answeredThrough: null }]);
    expect(out.state.cursor).toBe(2);
    expect(items(out.state)).toEqual(['r', 'x', 'y']);
    expect(out.invalidated).toEqual({ scope: SCOPE, rows: [], tables: ['items'] });
    expect(out.commit).toMatchObject({
      resetScopes: [SCOPE],
      cursors: { [SCOPE]: 2 },
      trim: [1],
      scopeMeta: { [SCOPE]: { appVersion: todo.version, mark: null } },
    });
    expect(out.commit?.rows?.map((row) => row.key).sort()).toEqual(['r', 'x']);
    // The tables given are left as they were: the replacement is new.
    expect(state.confirmed.find('items').map((row) => row.itemId)).toEqual(['p', 'q']);
    expect(out.state.confirmed).not.toBe(state.confirmed);
  });

  it('loads a snapshot: commands answered at or below its seq settle, a bad row refuses it whole', () => {
    const state = held([], [add(1, 'c1', 'x'), add(2, 'c2', 'y')]);
    const before = {
      ...state,
      pending: [{ ...state.pending[0], answeredThrough: 4 } as PendingView, state.pending[1] as PendingView],
    };
    const row = (itemId: string) => ({ itemId, listId: 'a', text: '', done: false });
    const out = settle(todo, before, { kind: 'snapshot', seq: 5, rows: { items: [row('p'), row('x')] } }, NOW);
    expect(ids(out.removed)).toEqual(['c1']);
    expect(ids(out.state.pending)).toEqual(['c2']);
    expect(out.state.cursor).toBe(5);
    expect(items(out.state)).toEqual(['p', 'x', 'y']);
    expect(out.commit).toMatchObject({ resetScopes: [SCOPE], events: [], cursors: { [SCOPE]: 5 }, trim: [1] });
    const bad = settle(todo, before, { kind: 'snapshot', seq: 5, rows: { items: [{ itemId: 'p' }] } }, NOW);
    expect(bad.refused).toMatch(/items row is invalid/);
    expect(bad).toMatchObject({ removed: [], commit: null, invalidated: null });
    expect(bad.state).toBe(before);
  });
});

/**
 * The property: whatever order the client hears things in (chunks of the stream, overlapping,
 * out of order, with gaps; push answers before or after the events they carry), once the
 * whole stream has arrived its state is the stream replayed from scratch with the commands the
 * server has not processed re-run on top, and every processed command settled as the server
 * decided.
 */
describe('settle: property', () => {
  const itemId = fc.constantFrom('i', 'j', 'k', 'l');
  const action = fc.oneof(
    fc.record({ name: fc.constant('add'), args: fc.record({ itemId, text: fc.constantFrom('', 't') }) }),
    fc.record({ name: fc.constant('rename'), args: fc.record({ itemId, text: fc.constantFrom('u', 'v') }) }),
    fc.record({ name: fc.constantFrom('toggle', 'remove'), args: fc.record({ itemId }) }),
    fc.record({ name: fc.constant('touch'), args: fc.constant({}) }),
  );
  const scenario = fc.record({
    own: fc.array(action, { maxLength: 8 }),
    foreign: fc.array(action, { maxLength: 8 }),
    /** How many own commands the server processes, and how it interleaves them with foreign ones. */
    processed: fc.nat(),
    order: fc.array(fc.boolean(), { maxLength: 16 }),
    deliveries: fc.array(fc.record({ answer: fc.boolean(), a: fc.nat(), b: fc.nat() }), { maxLength: 12 }),
  });

  it('settle over any interleaving equals replaying the stream, then the pending commands', () => {
    fc.assert(
      fc.property(scenario, ({ own, foreign, processed, order, deliveries }) => {
        const pending = own.map((a, i) => command(i + 1, `c${i + 1}`, a.name, a.args));
        const served = processed % (pending.length + 1);
        // The server: own commands 1..served interleaved with the foreign ones, run in order.
        const server = new MemoryTables(todo.tables);
        const stream: WireEvent[] = [];
        const answers = new Map<string, PushResult>();
        const queue = [
          ...pending.slice(0, served).map((c) => ({ id: c.id, name: c.name, args: c.args, own: c })),
          ...foreign.map((a, i) => ({ id: `f${i + 1}`, name: a.name, args: { listId: 'a', ...a.args }, own: null })),
        ];
        let o = 0;
        let f = served;
        for (let i = 0; o < served || f < queue.length; i++) {
          const takeOwn = f >= queue.length || (o < served && (order[i] ?? true));
          const next = queue[takeOwn ? o++ : f++];
          if (!next) break;
          const result = executeCommand(todo, { id: next.id, name: next.name, args: next.args, at: 1 }, () => server);
          const events = result.ok
            ? result.events.map((e, k) =>
                event(stream.length + 1 + k, next.id, e.type, e.data as Record<string, unknown>),
              )
            : [];
          if (result.ok) result.writes.commitTo(server);
          stream.push(...events);
          if (next.own) {
            answers.set(
              next.id,
              result.ok
                ? { id: next.id, seq: next.own.seq, status: 'applied', events }
                : { id: next.id, seq: next.own.seq, status: 'rejected', code: result.code, message: result.message },
            );
          }
        }
        const answerList = [...answers.values()];

        let state = held([], pending);
        const removed: SettleResult['removed'][number][] = [];
        const feed = (out: SettleResult) => {
          removed.push(...out.removed);
          state = out.state;
        };
        for (const { answer, a, b } of deliveries) {
          if (answer && answerList.length > 0) {
            const given = answerList[a % answerList.length] as PushResult;
            feed(settle(todo, state, { kind: 'answers', answers: [given] }, NOW));
          } else if (stream.length > 0) {
            const from = a % stream.length;
            feed(settle(todo, state, { kind: 'events', events: stream.slice(from, from + 1 + (b % 4)) }, NOW));
          }
        }
        feed(settle(todo, state, { kind: 'events', events: stream }, NOW));
        // Answers that settle without events (rejections, touch) must arrive too.
        feed(settle(todo, state, { kind: 'answers', answers: answerList }, NOW));

        const confirmed = new MemoryTables(todo.tables);
        applyConfirmed(todo, confirmed, SCOPE, 0, stream);
        const left = pending.slice(served);
        const expected = rebuildOverlay(todo, confirmed, left).overlay;
        expect(state.cursor).toBe(stream.length);
        expect(state.confirmed.dump()).toEqual(confirmed.dump());
        expect(state.overlay.find('items')).toEqual(expected.find('items'));
        expect(ids(state.pending)).toEqual(ids(left));
        expect(removed.map((r) => [r.id, r.status]).sort()).toEqual(
          answerList.map((r) => [r.id, r.status === 'applied' ? 'confirmed' : 'rejected']).sort(),
        );
      }),
    );
  });
});
