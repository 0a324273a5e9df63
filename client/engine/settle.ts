import {
  type AnyApp,
  MemoryTables,
  OverlayTables,
  type PushResult,
  type Row,
  type WireEvent,
} from '../../shared/index.ts';
import type { ChangedRow } from '../query/index.ts';
import type { ScopeMark, SettledRecord, StorageCommit } from '../storage/index.ts';
import { applyConfirmed } from './apply-confirmed.ts';
import { confirmedPrefix, NO_EVENTS, overlayRows, rebuildOverlay } from './rebase.ts';
import { rowsOf } from './rebuild-projections.ts';
import { snapshotTables } from './snapshot-rows.ts';

/**
 * Reconciliation as one pure step (DESIGN §3, rebase): what the client holds of one scope, plus
 * one thing the server said about it, gives what the client holds next and what must follow
 * (the storage write, the settlements, the rows live queries re-read). The reconciler does
 * the I/O around it (reconciler.ts).
 *
 * Ownership: `settle` takes `state.confirmed`. It writes confirmed events into those tables in
 * place (copying a scope's rows per event would make a rebase cost grow with the scope), so
 * the caller must read only the returned state afterwards; a step that replaces the scope
 * (`replace`, `snapshot`) returns new tables and leaves the old ones as they were. Nothing
 * else is mutated: the pending commands given are only read, and those whose run or answer
 * changed come back as new objects (in `state.pending` and `changed`). No clock, no I/O: `now`
 * stamps the settled records.
 */

/** A pending command as settling reads it (`PendingCommand` fits). */
export interface PendingView {
  readonly id: string;
  readonly seq: number;
  readonly name: string;
  readonly args: unknown;
  readonly at: number;
  readonly scope: string;
  /** The digest of the latest local run's events; null while it fails locally. */
  readonly runDigest: string | null;
  /** The last event seq of the server's answer once it applied the command, else null. */
  readonly answeredThrough: number | null;
}

/** What the client holds of one scope. */
export interface SettleState {
  readonly scope: string;
  /** Owned by `settle` once given (see above). */
  readonly confirmed: MemoryTables;
  readonly cursor: number;
  readonly mark: ScopeMark | null;
  /** `confirmed` with `pending` re-run on top: what queries read. */
  readonly overlay: OverlayTables;
  /** The scope's pending commands, in seq order. */
  readonly pending: ReadonlyArray<PendingView>;
}

/** One thing the server said about the scope. */
export type Incoming =
  /** Confirmed events, as read (pull or stream): duplicates and older ones are skipped. */
  | { readonly kind: 'events'; readonly events: ReadonlyArray<WireEvent> }
  /** The answers of one push to the scope's commands, in the order they were sent. */
  | { readonly kind: 'answers'; readonly answers: ReadonlyArray<PushResult> }
  /** A command refused without the server (it can never be accepted). */
  | { readonly kind: 'reject'; readonly id: string; readonly code: string; readonly message: string }
  /** The scope's whole stream from seq 1 (after `cursor_ahead`): replaces the confirmed state. */
  | { readonly kind: 'replace'; readonly events: ReadonlyArray<WireEvent> }
  /** The server's rows as of `seq` (a snapshot bootstrap): replaces the confirmed state. */
  | { readonly kind: 'snapshot'; readonly seq: number; readonly rows: Readonly<Record<string, ReadonlyArray<Row>>> }
  /** Nothing new: re-run the pending commands (at open, or after some left the outbox). */
  | { readonly kind: 'rebase' };

/** Which rows of the scope may read differently now: live queries and row feeds re-read them. */
export interface Invalidated {
  readonly scope: string;
  readonly rows: ReadonlyArray<ChangedRow>;
  /** Whole tables (the confirmed state was replaced). */
  readonly tables: ReadonlyArray<string>;
}

export interface SettleResult {
  readonly state: SettleState;
  /** The commands that left the outbox, as their durable records say how (`confirmed` or `rejected`). */
  readonly removed: ReadonlyArray<SettledRecord>;
  /** The one atomic storage write, or null when nothing is to be stored. */
  readonly commit: StorageCommit | null;
  readonly invalidated: Invalidated | null;
  /** The scope's events must be pulled: one is missing, or a duplicate's answer left its events out. */
  readonly pull: boolean;
  /** The scope's mark changed (status lists marks, and reports a new one). */
  readonly marked: boolean;
  /** Why a snapshot was refused (then nothing changed), else null. */
  readonly refused: string | null;
  /**
   * The pending commands whose `runDigest` or `answeredThrough` changed, as new objects in the
   * order they changed (a later copy of a command carries the earlier change too): the caller
   * writes them back without scanning every pending command.
   */
  readonly changed: ReadonlyArray<PendingView>;
}

/** How a command settled without bringing events of its own. */
type Quiet = { readonly status: 'confirmed' } | { readonly status: 'rejected'; code: string; message: string };

const NO_QUIET: ReadonlyMap<string, Quiet> = new Map();

export function settle(app: AnyApp, state: SettleState, incoming: Incoming, now: number): SettleResult {
  /** Filled as commands change (see `SettleResult.changed`); local to this call. */
  const changed: PendingView[] = [];
  switch (incoming.kind) {
    case 'events':
      return step(app, state, incoming.events, NO_QUIET, false, now, changed);
    case 'answers':
      return answers(app, state, incoming.answers, now, changed);
    case 'reject': {
      const quiet = new Map<string, Quiet>([
        [incoming.id, { status: 'rejected', code: incoming.code, message: incoming.message }],
      ]);
      return step(app, state, [], quiet, false, now, changed);
    }
    case 'replace':
      return replace(app, state, incoming.events, now, changed);
    case 'snapshot':
      return snapshot(app, state, incoming.seq, incoming.rows, now, changed);
    case 'rebase': {
      const rebuilt = rebuild(app, state, state.confirmed, state.pending, [], changed);
      return { ...rebuilt, removed: [], commit: null, pull: false, marked: false, refused: null, changed };
    }
  }
}

/** A push's answers: events to apply, or quiet settlements (rejected; confirmed without events). */
function answers(
  app: AnyApp,
  state: SettleState,
  results: ReadonlyArray<PushResult>,
  now: number,
  changed: PendingView[],
): SettleResult {
  const byId = new Map(state.pending.map((command) => [command.id, command]));
  const quiet = new Map<string, Quiet>();
  const answered = new Map<string, number>();
  const events: WireEvent[] = [];
  let pull = false;
  for (const result of results) {
    if (!byId.has(result.id)) continue; // settled meanwhile
    if (result.status === 'rejected') {
      const code = result.code ?? 'rejected';
      quiet.set(result.id, { status: 'rejected', code, message: result.message ?? code });
    } else if (result.events?.length) {
      const last = Math.max(...result.events.map((event) => event.seq));
      // Already in the confirmed state without passing through here: a snapshot taken while
      // this push was in flight holds its events.
      if (last <= state.cursor) quiet.set(result.id, { status: 'confirmed' });
      else {
        answered.set(result.id, last);
        events.push(...result.events);
      }
    } else {
      // No events: none were emitted, or a duplicate's answer left them out; a pull tells.
      if (result.duplicate) pull = true;
      quiet.set(result.id, { status: 'confirmed' });
    }
  }
  const pending =
    answered.size === 0
      ? state.pending
      : state.pending.map((command) => {
          const through = answered.get(command.id);
          if (through === undefined) return command;
          const reached = { ...command, answeredThrough: through };
          changed.push(reached);
          return reached;
        });
  return step(
    app,
    { ...state, pending },
    events.sort((a, b) => a.seq - b.seq),
    quiet,
    pull,
    now,
    changed,
  );
}

/**
 * Applies `events`, settles the commands they confirm and those in `quiet`, then rebases the
 * rest, or keeps the overlay when a rebuild would read the same (see `confirmedPrefix`).
 */
function step(
  app: AnyApp,
  state: SettleState,
  events: ReadonlyArray<WireEvent>,
  quiet: ReadonlyMap<string, Quiet>,
  pull: boolean,
  now: number,
  changed: PendingView[],
): SettleResult {
  const { scope } = state;
  // Removing a command that has no effect in the overlay needs no rebase.
  let rebase = quiet.size > 0 && state.pending.some((command) => quiet.has(command.id) && hasEffects(command));
  const remaining = quiet.size === 0 ? state.pending : state.pending.filter((command) => !quiet.has(command.id));
  const result = applyConfirmed(app, state.confirmed, scope, state.cursor, events, state.mark);
  const cursor = result.applied.at(-1)?.seq ?? state.cursor;
  const marked = result.mark !== state.mark;
  // An event stored but not projected breaks the prefix shortcut: the overlay holds its effect.
  if (result.skipped) rebase = true;
  const prefix = result.applied.length > 0 ? confirmedPrefix(remaining, result.applied) : 0;
  if (prefix === null) rebase = true;
  let removedCommands: ReadonlyArray<PendingView>;
  let pending: ReadonlyArray<PendingView>;
  if (prefix !== null && quiet.size === 0) {
    // The events are exactly the oldest `prefix` commands' (the common case: own commands
    // confirmed in order), so those leave without a scan of every pending command.
    removedCommands = prefix === 0 ? [] : remaining.slice(0, prefix);
    pending = prefix === 0 ? remaining : remaining.slice(prefix);
  } else {
    const confirmedIds = new Set<string>();
    for (const event of result.applied) confirmedIds.add(event.commandId);
    const leaving: PendingView[] = [];
    const staying: PendingView[] = [];
    for (const command of state.pending) {
      if (quiet.has(command.id) || confirmedIds.has(command.id)) leaving.push(command);
      else staying.push(command);
    }
    removedCommands = leaving;
    pending = leaving.length === 0 ? state.pending : staying;
  }
  const next: SettleState = {
    scope,
    confirmed: state.confirmed,
    cursor,
    mark: result.mark,
    overlay: state.overlay,
    pending,
  };
  let settled: { state: SettleState; invalidated: Invalidated | null } = { state: next, invalidated: null };
  if (rebase) settled = rebuild(app, next, next.confirmed, pending, result.writes, changed);
  else if (removedCommands.length > 0 && pending.length === 0) {
    // Nothing pending is left: drop the overlay's now-redundant copies of confirmed rows.
    settled = { state: { ...next, overlay: new OverlayTables(app.tables, next.confirmed) }, invalidated: null };
  }
  const removed = records(scope, removedCommands, quiet, now);
  const commit =
    result.applied.length === 0 && removed.length === 0
      ? null
      : {
          events: result.applied,
          rows: result.writes,
          cursors: { [scope]: cursor },
          ...(marked ? { scopeMeta: { [scope]: { appVersion: app.version, mark: result.mark } } } : {}),
          trim: removed.map((record) => record.seq),
          settled: removed,
        };
  return { ...settled, removed, commit, pull: pull || result.gap, marked, refused: null, changed };
}

/** The scope's whole stream from seq 1 replaces its confirmed state. */
function replace(
  app: AnyApp,
  state: SettleState,
  events: ReadonlyArray<WireEvent>,
  now: number,
  changed: PendingView[],
): SettleResult {
  const confirmed = new MemoryTables(app.tables);
  const result = applyConfirmed(app, confirmed, state.scope, 0, events);
  const cursor = result.applied.at(-1)?.seq ?? 0;
  const ids = new Set(result.applied.map((event) => event.commandId));
  const removedCommands = state.pending.filter((command) => ids.has(command.id));
  // Whatever the restored server has not got must be pushed again.
  const pending = state.pending
    .filter((command) => !ids.has(command.id))
    .map((command) => {
      if (command.answeredThrough === null) return command;
      const unanswered = { ...command, answeredThrough: null };
      changed.push(unanswered);
      return unanswered;
    });
  return replaced(
    app,
    state,
    { confirmed, cursor, mark: result.mark, events: result.applied },
    removedCommands,
    pending,
    now,
    changed,
  );
}

/**
 * The server's rows as of `seq` replace the confirmed state. The commands it answered with
 * events at or below `seq` are in those rows, so they settle as confirmed; the rest stay.
 */
function snapshot(
  app: AnyApp,
  state: SettleState,
  seq: number,
  rows: Readonly<Record<string, ReadonlyArray<Row>>>,
  now: number,
  changed: PendingView[],
): SettleResult {
  const built = snapshotTables(app, rows);
  if (!built.ok) {
    const refused = built.message;
    return { state, removed: [], commit: null, invalidated: null, pull: false, marked: false, refused, changed };
  }
  const included = (command: PendingView) => command.answeredThrough !== null && command.answeredThrough <= seq;
  return replaced(
    app,
    state,
    { confirmed: built.tables, cursor: seq, mark: null, events: [] },
    state.pending.filter(included),
    state.pending.filter((command) => !included(command)),
    now,
    changed,
  );
}

function replaced(
  app: AnyApp,
  state: SettleState,
  base: { confirmed: MemoryTables; cursor: number; mark: ScopeMark | null; events: WireEvent[] },
  removedCommands: ReadonlyArray<PendingView>,
  pending: ReadonlyArray<PendingView>,
  now: number,
  changed: PendingView[],
): SettleResult {
  const { scope } = state;
  const next: SettleState = { ...state, confirmed: base.confirmed, cursor: base.cursor, mark: base.mark, pending };
  const rebuilt = rebuild(app, next, base.confirmed, pending, 'all', changed);
  const removed = records(scope, removedCommands, NO_QUIET, now);
  const commit: StorageCommit = {
    resetScopes: [scope],
    events: base.events,
    rows: rowsOf(app, scope, base.confirmed),
    cursors: { [scope]: base.cursor },
    scopeMeta: { [scope]: { appVersion: app.version, mark: base.mark } },
    trim: removed.map((record) => record.seq),
    settled: removed,
  };
  return { ...rebuilt, removed, commit, pull: false, marked: true, refused: null, changed };
}

/**
 * Re-runs `pending` over `confirmed`. `under` lists the confirmed rows that changed under
 * them, or `'all'` when the confirmed state was replaced. The rows that may read differently
 * are those of the old and the new overlay, and the confirmed ones.
 */
function rebuild(
  app: AnyApp,
  state: SettleState,
  confirmed: MemoryTables,
  pending: ReadonlyArray<PendingView>,
  under: ReadonlyArray<ChangedRow> | 'all',
  changed: PendingView[],
): { state: SettleState; invalidated: Invalidated } {
  const { overlay, runs } = rebuildOverlay(app, confirmed, pending);
  const rerun = pending.map((command, i) => {
    const run = runs[i];
    const runDigest = run?.ok ? run.digest : null;
    if (runDigest === command.runDigest) return command;
    const rerunCommand = { ...command, runDigest };
    changed.push(rerunCommand);
    return rerunCommand;
  });
  const invalidated: Invalidated =
    under === 'all'
      ? { scope: state.scope, rows: [], tables: Object.keys(app.tables) }
      : { scope: state.scope, rows: [...overlayRows(state.overlay), ...overlayRows(overlay), ...under], tables: [] };
  return { state: { ...state, overlay, pending: rerun }, invalidated };
}

/** The durable records of the commands leaving the outbox, in seq order. */
function records(
  scope: string,
  commands: ReadonlyArray<PendingView>,
  quiet: ReadonlyMap<string, Quiet>,
  settledAt: number,
): SettledRecord[] {
  return commands.map((command): SettledRecord => {
    const outcome = quiet.get(command.id) ?? { status: 'confirmed' };
    const { id, seq, name, args } = command;
    return outcome.status === 'confirmed'
      ? { status: 'confirmed', id, seq, name, scope, settledAt }
      : { status: 'rejected', id, seq, name, args, scope, code: outcome.code, message: outcome.message, settledAt };
  });
}

function hasEffects(command: PendingView): boolean {
  return command.runDigest !== null && command.runDigest !== NO_EVENTS;
}
