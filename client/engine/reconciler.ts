import type { AnyApp, PushCommand, PushResult, Row, WireEvent } from '../../shared/index.ts';
import type { Clock } from '../base/index.ts';
import type { LiveQueries } from '../query/index.ts';
import type { ScopeMark, SettledRecord, StorageCommit, StorageWriter } from '../storage/index.ts';
import type { StatusStore, SyncHost, SyncStatus } from '../sync/index.ts';
import type { CommandLifecycle } from './command-lifecycle.ts';
import { type Outbox, outboxRecord, type PendingCommand } from './outbox.ts';
import { takePushBatch } from './push-batch.ts';
import type { ScopeState } from './scope-state.ts';
import { type Incoming, type Invalidated, type SettleResult, settle } from './settle.ts';

/** The engine's state, shared by the engine (execute, queries) and the reconciler (sync). */
export interface EngineCore {
  readonly app: AnyApp;
  readonly clientId: string;
  readonly scopes: Map<string, ScopeState>;
  readonly outbox: Outbox;
  readonly writer: StorageWriter;
  readonly lifecycle: CommandLifecycle;
  readonly live: LiveQueries;
  readonly status: StatusStore;
  readonly clock: Clock;
}

/**
 * What the reconciler needs from the engine: the scopes and the outbox it settles (read before
 * each step, written back after it), and where each outcome goes.
 */
export interface ReconcilerHost {
  readonly app: AnyApp;
  readonly clientId: string;
  readonly scopes: ReadonlyMap<string, ScopeState>;
  readonly outbox: Outbox;
  /** Queues one atomic storage write after those queued before. */
  commit(change: StorageCommit): Promise<void>;
  /** A command settled; its listeners hear of it once `written` resolves. */
  settled(record: SettledRecord, written: Promise<void>): void;
  /** Rows or tables of a scope read differently now (live queries, row feeds). */
  invalidate(invalidated: Invalidated): void;
  report(patch: Partial<SyncStatus>): void;
  now(): number;
  /**
   * Asks for the rows of a scope not loaded yet (a lazy engine, lazy-scopes.ts) whose pending
   * command is next to push: its answer settles against those rows, so it waits for them. The
   * engine loads them only online (offline, the first pull will), then wakes the push loop.
   */
  load?(scope: string): void;
}

/** The reconciler's host over the engine's state. */
export function engineHost(core: EngineCore): ReconcilerHost {
  const { app, clientId, scopes, outbox, writer, lifecycle, live, status, clock } = core;
  return {
    app,
    clientId,
    scopes,
    outbox,
    commit: (change) => writer.write(change),
    settled: (record, written) => lifecycle.settle(record, written),
    invalidate({ scope, rows, tables }) {
      if (tables.length > 0) live.invalidate(scope, tables);
      if (rows.length > 0) live.changed(scope, rows);
    },
    report: (patch) => status.update(patch),
    now: () => clock.now(),
  };
}

/**
 * Applies what the server says to the engine's state: confirmed events, push results, seq and
 * scope resyncs. Each step is `settle` (settle.ts, pure) over one scope; this shell gives it
 * the scope's state, then applies the outcome: memory at once (queries see it in the same
 * task), one atomic storage write, the settlements, the invalidated rows, status.
 */
export class Reconciler implements SyncHost {
  readonly #host: ReconcilerHost;

  constructor(host: ReconcilerHost) {
    this.#host = host;
  }

  get clientId(): string {
    return this.#host.clientId;
  }

  get appVersion(): number {
    return this.#host.app.version;
  }

  cursors(): Record<string, number> {
    const cursors: Record<string, number> = {};
    for (const [scope, state] of this.#host.scopes) cursors[scope] = state.cursor;
    return cursors;
  }

  cursor(scope: string): number {
    return this.#host.scopes.get(scope)?.cursor ?? 0;
  }

  pushable(limit: number, maxBytes: number): PushCommand[] {
    return takePushBatch(this.#loadedPrefix(), (scope) => this.cursor(scope), limit, maxBytes);
  }

  /**
   * The unanswered commands in seq order up to the first whose scope is not loaded (that one
   * starts loading; the engine pushes again once it is): seqs reach the server without a gap.
   */
  *#loadedPrefix(): Generator<PendingCommand, void, undefined> {
    const { scopes } = this.#host;
    for (const command of this.#host.outbox.unanswered()) {
      if (scopes.get(command.scope)?.loaded === false) {
        this.#host.load?.(command.scope);
        return;
      }
      yield command;
    }
  }

  /**
   * Rebases every loaded scope's pending commands on its confirmed state (at open). A scope
   * not loaded yet is rebased when it loads (`rebase`): over no rows, its commands would run
   * on nothing.
   */
  rebaseAll(): void {
    for (const [scope, state] of this.#host.scopes) if (state.loaded) this.#step(scope, { kind: 'rebase' });
  }

  /** Rebases one scope's pending commands on its confirmed state: a lazy scope just loaded. */
  rebase(scope: string): void {
    this.#step(scope, { kind: 'rebase' });
  }

  ingest(scope: string, events: ReadonlyArray<WireEvent>): { gap: boolean; written: Promise<void> } {
    const outcome = this.#step(scope, { kind: 'events', events });
    return { gap: outcome?.pull ?? false, written: outcome?.written ?? Promise.resolve() };
  }

  applyPushResults(
    sent: ReadonlyArray<PushCommand>,
    results: ReadonlyArray<PushResult>,
  ): { behind: string[]; written: Promise<void> } {
    const byId = new Map(results.map((result) => [result.id, result]));
    const perScope = new Map<string, PushResult[]>();
    for (const { id } of sent) {
      const command = this.#host.outbox.get(id);
      const result = byId.get(id);
      if (!command || !result) continue; // settled meanwhile, or unanswered: pushed again later
      const answers = perScope.get(command.scope);
      if (answers) answers.push(result);
      else perScope.set(command.scope, [result]);
    }
    const behind: string[] = [];
    const writes: Promise<void>[] = [];
    for (const [scope, answers] of perScope) {
      const outcome = this.#step(scope, { kind: 'answers', answers });
      if (!outcome) continue;
      if (outcome.pull) behind.push(scope);
      writes.push(outcome.written);
    }
    return { behind, written: Promise.all(writes).then(() => undefined) };
  }

  async rejectLocally(id: string, code: string, message: string): Promise<void> {
    const command = this.#host.outbox.get(id);
    if (!command) return;
    const outcome = this.#step(command.scope, { kind: 'reject', id, code, message });
    // The server refused the whole push, so it stored nothing from this seq on: the commands
    // after it move down one, and the server never sees a gap.
    await Promise.all([outcome?.written, this.renumber(command.seq)]);
  }

  async renumber(expected: number): Promise<void> {
    const { outbox } = this.#host;
    if (!outbox.renumber(expected)) return;
    await this.#host.commit({ clearOutbox: true, outbox: outbox.all().map(outboxRecord), lastSeq: outbox.lastSeq });
  }

  /** Replaces a scope's confirmed state with `events` from seq 1 (after `cursor_ahead`). */
  async replaceScope(scope: string, events: ReadonlyArray<WireEvent>): Promise<void> {
    await this.#step(scope, { kind: 'replace', events })?.written;
  }

  /**
   * Replaces a scope's confirmed state with the server's rows as of `seq` (a snapshot
   * bootstrap): rows, cursor and an empty event log commit together. The commands the server
   * answered with events at or below `seq` are in those rows, so they settle as confirmed;
   * the rest stay pending and are rebased on the new state.
   */
  async loadSnapshot(
    scope: string,
    seq: number,
    rows: Readonly<Record<string, ReadonlyArray<Row>>>,
  ): Promise<string | null> {
    const outcome = this.#step(scope, { kind: 'snapshot', seq, rows });
    if (!outcome) return null;
    if (outcome.refused !== null) return outcome.refused;
    await outcome.written;
    return null;
  }

  hasAnswered(scope: string): boolean {
    return this.#host.outbox.inScope(scope).some((command) => command.answeredThrough !== null);
  }

  report(patch: Partial<SyncStatus>): void {
    this.#host.report(patch);
  }

  /**
   * One reconciliation step of one scope: `settle` over what the engine holds of it, then the
   * outcome applied. Undefined for a scope the engine does not hold.
   */
  #step(scope: string, incoming: Incoming): (SettleResult & { written: Promise<void> }) | undefined {
    const host = this.#host;
    const held = host.scopes.get(scope);
    if (!held) return undefined;
    const { outbox } = host;
    const now = host.now();
    const before = { ...held, pending: outbox.inScope(scope) };
    const outcome = settle(host.app, before, incoming, now);
    if (outcome.refused !== null) return { ...outcome, written: Promise.resolve() };
    const { state } = outcome;
    held.confirmed = state.confirmed;
    held.cursor = state.cursor;
    held.mark = state.mark;
    held.overlay = state.overlay;
    // The pending commands whose run or answer changed came back as new objects.
    for (const view of outcome.changed) {
      const command = outbox.get(view.id);
      if (!command) continue;
      command.runDigest = view.runDigest;
      command.answeredThrough = view.answeredThrough;
    }
    outbox.remove(outcome.removed.map((record) => record.id));
    if (outcome.invalidated) host.invalidate(outcome.invalidated);
    if (!outcome.commit) return { ...outcome, written: Promise.resolve() };
    const written = host.commit(outcome.commit);
    for (const record of outcome.removed) host.settled(record, written);
    host.report({ pending: outbox.size });
    if (outcome.marked) {
      host.report(markStatus(host.scopes.values()));
      if (state.mark)
        host.report({ lastError: { code: MARK_CODES[state.mark.kind], message: describeMark(state.mark), at: now } });
    }
    return { ...outcome, written };
  }
}

/** The `lastError` code a new mark is reported with. */
const MARK_CODES = { stale: 'invalid_event', quarantined: 'projection_quarantined' } as const;

/** The status fields that list the scopes' marks (`SyncStatus.stale`, `quarantined`). */
export function markStatus(states: Iterable<{ readonly mark: ScopeMark | null }>): {
  stale: string[];
  quarantined: ScopeMark[];
} {
  const stale: string[] = [];
  const quarantined: ScopeMark[] = [];
  for (const { mark } of states) {
    if (mark?.kind === 'stale') stale.push(mark.scope);
    else if (mark?.kind === 'quarantined') quarantined.push(mark);
  }
  return { stale, quarantined };
}

export function describeMark(mark: ScopeMark): string {
  const what = mark.kind === 'stale' ? 'cannot read' : 'a projection failed on';
  return `${mark.scope}: this app ${what} event ${mark.seq} (${mark.type}): ${mark.message}`;
}
