import { describe, expect, it } from 'vitest';
import type { WireEvent } from '../../shared/index.ts';
import type { SettledRecord, StorageCommit } from '../storage/index.ts';
import type { SyncStatus } from '../sync/index.ts';
import { todo } from '../testing/todo-app.ts';
import { Outbox, type PendingCommand } from './outbox.ts';
import { Reconciler, type ReconcilerHost } from './reconciler.ts';
import { emptyScopeState } from './scope-state.ts';
import type { Invalidated } from './settle.ts';

const SCOPE = 'list:a';

/** A host that records what the reconciler asks of the engine. */
function recordingHost() {
  const state = emptyScopeState(todo, SCOPE);
  const log = {
    commits: [] as StorageCommit[],
    settled: [] as SettledRecord[],
    invalidated: [] as Invalidated[],
    reports: [] as Partial<SyncStatus>[],
  };
  const host: ReconcilerHost = {
    app: todo,
    clientId: 'me',
    scopes: new Map([[SCOPE, state]]),
    outbox: new Outbox(0, []),
    commit: (change) => {
      log.commits.push(change);
      return Promise.resolve();
    },
    settled: (record) => log.settled.push(record),
    invalidate: (invalidated) => log.invalidated.push(invalidated),
    report: (patch) => log.reports.push(patch),
    now: () => 7,
  };
  return { host, state, log };
}

function pending(seq: number, itemId: string): PendingCommand {
  return {
    id: `c${seq}`,
    seq,
    name: 'add',
    args: { listId: 'a', itemId, text: '' },
    at: 1,
    scope: SCOPE,
    baseSeq: 0,
    digest: '',
    version: 1,
    runDigest: null,
    durable: true,
    answeredThrough: null,
  };
}

const added = (seq: number, commandId: string, itemId: string): WireEvent => ({
  seq,
  scope: SCOPE,
  type: 'added',
  data: { listId: 'a', itemId, text: '' },
  commandId,
  clientId: 'me',
  at: 1,
});

describe('Reconciler over its host', () => {
  it('writes the outcome of each step back: runs, overlay, outbox, one commit, settlements, status', async () => {
    const { host, state, log } = recordingHost();
    host.outbox.add(pending(1, 'x'));
    host.outbox.add(pending(2, 'y'));
    const reconciler = new Reconciler(host);
    reconciler.rebaseAll();
    expect(host.outbox.all().every((command) => command.runDigest !== null)).toBe(true);
    expect(state.overlay.find('items').map((row) => row.itemId)).toEqual(['x', 'y']);
    expect(log.invalidated).toEqual([{ scope: SCOPE, rows: expect.any(Array), tables: [] }]);
    expect(log.commits).toEqual([]); // a rebase stores nothing

    const { gap, written } = reconciler.ingest(SCOPE, [added(1, 'c1', 'x')]);
    await written;
    expect(gap).toBe(false);
    expect(state.cursor).toBe(1);
    expect(state.confirmed.find('items').map((row) => row.itemId)).toEqual(['x']);
    expect(host.outbox.all().map((command) => command.id)).toEqual(['c2']);
    expect(log.commits).toHaveLength(1);
    expect(log.commits[0]).toMatchObject({ events: [added(1, 'c1', 'x')], trim: [1], cursors: { [SCOPE]: 1 } });
    expect(log.settled).toEqual([{ status: 'confirmed', id: 'c1', seq: 1, name: 'add', scope: SCOPE, settledAt: 7 }]);
    expect(log.reports).toContainEqual({ pending: 1 });
  });

  it('settles push answers per scope and lists the scopes to pull', async () => {
    const { host, state, log } = recordingHost();
    host.outbox.add(pending(1, 'x'));
    host.outbox.add(pending(2, 'y'));
    const reconciler = new Reconciler(host);
    reconciler.rebaseAll();
    const sent = reconciler.pushable(10, 1 << 20);
    const { behind, written } = reconciler.applyPushResults(sent, [
      { id: 'c1', seq: 1, status: 'rejected', code: 'NOPE' },
      { id: 'c2', seq: 2, status: 'applied', events: [added(3, 'c2', 'y')] },
    ]);
    await written;
    expect(behind).toEqual([SCOPE]); // seqs 1–2 are missing before c2's event
    expect(log.settled).toMatchObject([{ id: 'c1', status: 'rejected', code: 'NOPE', message: 'NOPE' }]);
    expect(host.outbox.get('c2')?.answeredThrough).toBe(3);
    expect(reconciler.hasAnswered(SCOPE)).toBe(true);
    expect(state.overlay.find('items').map((row) => row.itemId)).toEqual(['y']);
  });

  it('leaves everything as it was when a snapshot is refused', async () => {
    const { host, state, log } = recordingHost();
    const reconciler = new Reconciler(host);
    const before = state.confirmed;
    expect(await reconciler.loadSnapshot(SCOPE, 5, { items: [{ itemId: 'p' }] })).toMatch(/invalid/);
    expect(state.confirmed).toBe(before);
    expect(state.cursor).toBe(0);
    expect(log.commits).toEqual([]);
    expect(await reconciler.loadSnapshot('list:unknown', 5, {})).toBeNull();
  });
});
