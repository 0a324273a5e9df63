import {
  type AnyApp,
  MemoryTables,
  OverlayTables,
  type PushCommand,
  type PushResult,
  type Row,
  type WireEvent,
} from '../shared/index.ts';
import { applyConfirmed } from './apply-confirmed.ts';
import type { Clock } from './backoff.ts';
import type { RowWrite, ScopeMark, ScopeMeta, SettledRecord } from './client-storage.ts';
import type { CommandLifecycle } from './command-lifecycle.ts';
import type { LiveQueries } from './live-queries.ts';
import { type Outbox, outboxRecord, type PendingCommand } from './outbox.ts';
import { takePushBatch } from './push-batch.ts';
import { confirmedPrefix, NO_EVENTS, overlayRows, rebuildOverlay } from './rebase.ts';
import { rowsOf } from './rebuild-projections.ts';
import type { ScopeState } from './scope-state.ts';
import { snapshotTables } from './snapshot-rows.ts';
import type { StatusStore } from './status.ts';
import type { StorageWriter } from './storage-writer.ts';
import type { SyncHost } from './sync-loop.ts';

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

/** How a command settled without bringing events of its own. */
type QuietOutcome = { readonly status: 'confirmed' } | { readonly status: 'rejected'; code: string; message: string };

/**
 * Applies what the server says to the engine's state: confirmed events, push results, seq and
 * scope resyncs. Every step changes memory at once (queries see it in the same task) and
 * queues one atomic storage write: events, rows, cursor, outbox trim and settled records.
 */
export class Reconciler implements SyncHost {
  readonly #core: EngineCore;

  constructor(core: EngineCore) {
    this.#core = core;
  }

  get clientId(): string {
    return this.#core.clientId;
  }

  get appVersion(): number {
    return this.#core.app.version;
  }

  cursors(): Record<string, number> {
    const cursors: Record<string, number> = {};
    for (const [scope, state] of this.#core.scopes) cursors[scope] = state.cursor;
    return cursors;
  }

  cursor(scope: string): number {
    return this.#core.scopes.get(scope)?.cursor ?? 0;
  }

  pushable(limit: number, maxBytes: number): PushCommand[] {
    return takePushBatch(this.#core.outbox.unanswered(), (scope) => this.cursor(scope), limit, maxBytes);
  }

  /** Rebases every scope's pending commands on its confirmed state (at open). */
  rebaseAll(): void {
    for (const state of this.#core.scopes.values()) this.#rebuild(state, []);
  }

  ingest(scope: string, events: ReadonlyArray<WireEvent>): { gap: boolean; written: Promise<void> } {
    return this.#settle(scope, events, new Map());
  }

  applyPushResults(
    sent: ReadonlyArray<PushCommand>,
    results: ReadonlyArray<PushResult>,
  ): { behind: string[]; written: Promise<void> } {
    const byId = new Map(results.map((result) => [result.id, result]));
    const perScope = new Map<string, { events: WireEvent[]; quiet: Map<string, QuietOutcome> }>();
    const behind = new Set<string>();
    for (const { id } of sent) {
      const command = this.#core.outbox.get(id);
      const result = byId.get(id);
      if (!command || !result) continue; // settled meanwhile, or unanswered: pushed again later
      const entry = perScope.get(command.scope) ?? {
        events: [] as WireEvent[],
        quiet: new Map<string, QuietOutcome>(),
      };
      perScope.set(command.scope, entry);
      if (result.status === 'rejected') {
        const code = result.code ?? 'rejected';
        entry.quiet.set(id, { status: 'rejected', code, message: result.message ?? code });
      } else if (result.events?.length) {
        const last = Math.max(...result.events.map((event) => event.seq));
        if (last <= this.cursor(command.scope)) {
          // Already in the confirmed state without passing through here: a snapshot taken
          // while this push was in flight holds its events.
          entry.quiet.set(id, { status: 'confirmed' });
          continue;
        }
        command.answeredThrough = last;
        entry.events.push(...result.events);
      } else {
        // No events: none were emitted, or a duplicate's answer left them out; a pull tells.
        if (result.duplicate) behind.add(command.scope);
        entry.quiet.set(id, { status: 'confirmed' });
      }
    }
    const writes: Promise<void>[] = [];
    for (const [scope, { events, quiet }] of perScope) {
      const { gap, written } = this.#settle(
        scope,
        events.sort((a, b) => a.seq - b.seq),
        quiet,
      );
      if (gap) behind.add(scope);
      writes.push(written);
    }
    return { behind: [...behind], written: Promise.all(writes).then(() => undefined) };
  }

  async rejectLocally(id: string, code: string, message: string): Promise<void> {
    const command = this.#core.outbox.get(id);
    if (!command) return;
    const { written } = this.#settle(command.scope, [], new Map([[id, { status: 'rejected', code, message }]]));
    // The server refused the whole push, so it stored nothing from this seq on: the commands
    // after it move down one, and the server never sees a gap.
    await Promise.all([written, this.renumber(command.seq)]);
  }

  async renumber(expected: number): Promise<void> {
    const { outbox, writer } = this.#core;
    if (!outbox.renumber(expected)) return;
    await writer.write({ clearOutbox: true, outbox: outbox.all().map(outboxRecord), lastSeq: outbox.lastSeq });
  }

  /** Replaces a scope's confirmed state with `events` from seq 1 (after `cursor_ahead`). */
  async replaceScope(scope: string, events: ReadonlyArray<WireEvent>): Promise<void> {
    const { app, scopes, outbox } = this.#core;
    const state = scopes.get(scope);
    if (!state) return;
    const confirmed = new MemoryTables(app.tables);
    const result = applyConfirmed(app, confirmed, scope, 0, events);
    state.confirmed = confirmed;
    state.cursor = result.applied.at(-1)?.seq ?? 0;
    state.mark = result.mark;
    const ids = new Set(result.applied.map((event) => event.commandId));
    // Whatever the restored server has not got must be pushed again.
    for (const command of outbox.inScope(scope)) if (!ids.has(command.id)) command.answeredThrough = null;
    const removed = outbox.remove(ids);
    this.#rebuild(state, 'all');
    const rows = rowsOf(app, scope, confirmed);
    await this.#write(
      scope,
      removed,
      new Map(),
      {
        resetScopes: [scope],
        events: result.applied,
        rows,
        cursors: { [scope]: state.cursor },
        scopeMeta: { [scope]: this.#meta(state) },
      },
      true,
    );
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
    const { app, scopes, outbox } = this.#core;
    const state = scopes.get(scope);
    if (!state) return null;
    const built = snapshotTables(app, rows);
    if (!built.ok) return built.message;
    state.confirmed = built.tables;
    state.cursor = seq;
    state.mark = null;
    const included = outbox
      .inScope(scope)
      .filter((command) => command.answeredThrough !== null && command.answeredThrough <= seq);
    const removed = outbox.remove(included.map((command) => command.id));
    this.#rebuild(state, 'all');
    await this.#write(
      scope,
      removed,
      new Map(),
      {
        resetScopes: [scope],
        events: [],
        rows: rowsOf(app, scope, built.tables),
        cursors: { [scope]: seq },
        scopeMeta: { [scope]: this.#meta(state) },
      },
      true,
    );
    return null;
  }

  hasAnswered(scope: string): boolean {
    return this.#core.outbox.inScope(scope).some((command) => command.answeredThrough !== null);
  }

  report(patch: Parameters<StatusStore['update']>[0]): void {
    this.#core.status.update(patch);
  }

  /**
   * One reconciliation step for one scope: apply `events`, settle the commands they confirm and
   * those in `quiet`, then rebase the rest, or keep the overlay when that reads the same.
   */
  #settle(
    scope: string,
    events: ReadonlyArray<WireEvent>,
    quiet: ReadonlyMap<string, QuietOutcome>,
  ): { gap: boolean; written: Promise<void> } {
    const { app, scopes, outbox } = this.#core;
    const state = scopes.get(scope);
    if (!state) return { gap: false, written: Promise.resolve() };
    const before = outbox.inScope(scope);
    // Removing a command that has no effect in the overlay needs no rebase.
    let rebase = before.some((command) => quiet.has(command.id) && hasEffects(command));
    const remaining = before.filter((command) => !quiet.has(command.id));
    const result = applyConfirmed(app, state.confirmed, scope, state.cursor, events, state.mark);
    state.cursor = result.applied.at(-1)?.seq ?? state.cursor;
    const marked = result.mark !== state.mark;
    state.mark = result.mark;
    // An event stored but not projected breaks the prefix shortcut: the overlay holds its effect.
    if (result.skipped) rebase = true;
    if (result.applied.length > 0 && confirmedPrefix(remaining, result.applied) === null) rebase = true;
    const settled = new Set(quiet.keys());
    for (const event of result.applied) if (outbox.get(event.commandId)) settled.add(event.commandId);
    const removed = outbox.remove(settled);
    if (rebase) this.#rebuild(state, result.writes);
    else if (removed.length > 0 && outbox.inScope(scope).length === 0) {
      // Nothing pending is left: drop the overlay's now-redundant copies of confirmed rows.
      state.overlay = new OverlayTables(app.tables, state.confirmed);
    }
    if (result.applied.length === 0 && removed.length === 0) return { gap: result.gap, written: Promise.resolve() };
    const written = this.#write(
      scope,
      removed,
      quiet,
      {
        events: result.applied,
        rows: result.writes,
        cursors: { [scope]: state.cursor },
        ...(marked ? { scopeMeta: { [scope]: this.#meta(state) } } : {}),
      },
      marked,
    );
    return { gap: result.gap, written };
  }

  /**
   * Re-runs the scope's pending commands over its confirmed state. `confirmed` lists the
   * confirmed rows that changed under them, or `'all'` when the confirmed state was replaced.
   * Live queries learn which rows may read differently: those of the old and the new overlay,
   * and the confirmed ones.
   */
  #rebuild(state: ScopeState, confirmed: ReadonlyArray<{ table: string; key: string }> | 'all'): void {
    const { app, outbox, live } = this.#core;
    const commands = outbox.inScope(state.scope);
    const before = overlayRows(state.overlay);
    const { overlay, runs } = rebuildOverlay(app, state.confirmed, commands);
    commands.forEach((command, i) => {
      const run = runs[i];
      command.runDigest = run?.ok ? run.digest : null;
    });
    state.overlay = overlay;
    if (confirmed === 'all') live.invalidate(state.scope, Object.keys(app.tables));
    else live.changed(state.scope, [...before, ...overlayRows(overlay), ...confirmed]);
  }

  #write(
    scope: string,
    removed: ReadonlyArray<PendingCommand>,
    quiet: ReadonlyMap<string, QuietOutcome>,
    confirmed: {
      resetScopes?: string[];
      events: WireEvent[];
      rows: RowWrite[];
      cursors: Record<string, number>;
      scopeMeta?: Record<string, ScopeMeta>;
    },
    marked: boolean,
  ): Promise<void> {
    const { writer, lifecycle, status, clock, outbox } = this.#core;
    const settledAt = clock.now();
    const records = removed.map((command): SettledRecord => {
      const outcome = quiet.get(command.id) ?? { status: 'confirmed' };
      const { id, seq, name, args } = command;
      return outcome.status === 'confirmed'
        ? { status: 'confirmed', id, seq, name, scope, settledAt }
        : { status: 'rejected', id, seq, name, args, scope, code: outcome.code, message: outcome.message, settledAt };
    });
    const written = writer.write({ ...confirmed, trim: removed.map((command) => command.seq), settled: records });
    for (const record of records) lifecycle.settle(record, written);
    status.update({ pending: outbox.size });
    const mark = this.#core.scopes.get(scope)?.mark;
    if (marked) {
      status.update(markStatus(this.#core.scopes.values()));
      if (mark)
        status.update({ lastError: { code: MARK_CODES[mark.kind], message: describeMark(mark), at: settledAt } });
    }
    return written;
  }

  #meta(state: ScopeState): ScopeMeta {
    return { appVersion: this.#core.app.version, mark: state.mark };
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

function hasEffects(command: PendingCommand): boolean {
  return command.runDigest !== null && command.runDigest !== NO_EVENTS;
}
