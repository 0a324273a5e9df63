import {
  type AnyApp,
  applyEvent,
  MemoryTables,
  type OverlayTables,
  WeftError,
  type WireEvent,
} from '../shared/index.ts';
import type { EventStore } from './store/port.ts';

/** One scope's authoritative state in memory: its projection tables at `head`. */
export interface ScopeState {
  readonly scope: string;
  readonly tables: MemoryTables;
  head: number;
  /** The latest events, newest last, so an audit can name what intervened without a read. */
  readonly recent: WireEvent[];
  snapshotSeq: number;
  /**
   * The head the store has confirmed. Below `head` while a pipelined commit is queued: the
   * state already includes it, so later pushes build on it, but nothing durable may be read
   * from it (a snapshot) until it settles.
   */
  confirmedHead: number;
  /** Settles (never rejects) when the latest commit queued on this state has. */
  settled: Promise<void>;
}

export interface ScopeCacheOptions {
  /** Scopes kept in memory; the least recently used beyond this are dropped. */
  readonly maxScopes?: number;
  /** Save a snapshot once this many events have been appended since the last one. */
  readonly snapshotEvery?: number;
  /** How many of each scope's latest events stay in memory. */
  readonly recentEvents?: number;
  readonly onSnapshotError?: (error: unknown) => void;
  /** Told once when a scope is quarantined; defaults to one `console.error` line. */
  readonly onQuarantine?: (quarantine: ScopeQuarantine) => void;
}

/** A scope whose state could not be rebuilt: the stored event its projection threw on. */
export interface ScopeQuarantine {
  readonly scope: string;
  /** The event's seq, or the snapshot's when restoring the snapshot itself failed. */
  readonly seq: number;
  readonly type: string;
  readonly message: string;
}

const REPLAY_PAGE = 2000;

/**
 * The scope states the push pipeline runs commands against: loaded from the latest snapshot
 * plus the events after it, then kept current by `advance` after each commit. The store stays
 * the authority: a commit that finds a head moved (another node) invalidates the scope.
 *
 * A stored event the projections cannot replay (the handler throws, or this app does not know
 * its type: a downgrade) quarantines its scope: every later `get` of it throws a typed
 * `500 internal` naming the event, without replaying again (no crash loop), until a server
 * with fixed code starts. Other scopes are not affected. Nothing is skipped silently.
 */
export class ScopeCache {
  readonly #app: AnyApp;
  readonly #store: EventStore;
  readonly #states = new Map<string, ScopeState>();
  readonly #loading = new Map<string, Promise<ScopeState>>();
  readonly #maxScopes: number;
  readonly #snapshotEvery: number;
  readonly #recentEvents: number;
  readonly #onSnapshotError: (error: unknown) => void;
  readonly #onQuarantine: (quarantine: ScopeQuarantine) => void;
  readonly #quarantined = new Map<string, ScopeQuarantine>();

  constructor(app: AnyApp, store: EventStore, options: ScopeCacheOptions = {}) {
    this.#app = app;
    this.#store = store;
    this.#maxScopes = options.maxScopes ?? 10_000;
    this.#snapshotEvery = options.snapshotEvery ?? 1000;
    this.#recentEvents = options.recentEvents ?? 128;
    this.#onSnapshotError = options.onSnapshotError ?? ((error) => console.error('weft: snapshot failed', error));
    this.#onQuarantine =
      options.onQuarantine ?? ((q) => console.error(`weft: scope quarantined: ${describeQuarantine(q)}`));
  }

  /** The scopes quarantined since this cache was made, for metrics and operators. */
  quarantined(): ScopeQuarantine[] {
    return [...this.#quarantined.values()];
  }

  async get(scope: string): Promise<ScopeState> {
    const quarantine = this.#quarantined.get(scope);
    if (quarantine) throw quarantineError(quarantine);
    const cached = this.#states.get(scope);
    if (cached) {
      this.#states.delete(scope);
      this.#states.set(scope, cached);
      return cached;
    }
    let loading = this.#loading.get(scope);
    if (!loading) {
      loading = this.#load(scope).finally(() => this.#loading.delete(scope));
      this.#loading.set(scope, loading);
    }
    const state = await loading;
    this.#remember(state);
    return state;
  }

  invalidate(scope: string): void {
    this.#states.delete(scope);
  }

  /**
   * Applies a batch: the scope's changes, its new events and head. `settled` is given when the
   * batch's commit is still queued (a pipelined commit; `confirm` follows once it lands, or the
   * scope is invalidated if it fails); without it the batch is committed already.
   */
  advance(
    state: ScopeState,
    changes: OverlayTables,
    events: ReadonlyArray<WireEvent>,
    head: number,
    settled?: Promise<void>,
  ): void {
    changes.commitTo(state.tables);
    state.head = head;
    state.recent.push(...events);
    if (state.recent.length > this.#recentEvents) state.recent.splice(0, state.recent.length - this.#recentEvents);
    if (settled) state.settled = settled;
    else this.confirm(state, head);
  }

  /**
   * The store confirmed the state up to `head`. A snapshot is saved from it only when nothing
   * unconfirmed lies beyond (`head` is the state's own), so no snapshot holds uncommitted rows.
   */
  confirm(state: ScopeState, head: number): void {
    state.confirmedHead = Math.max(state.confirmedHead, head);
    if (state.head !== head || head - state.snapshotSeq < this.#snapshotEvery) return;
    state.snapshotSeq = head;
    this.#store
      .saveSnapshot({ scope: state.scope, seq: head, tables: state.tables.dump() })
      .catch(this.#onSnapshotError);
  }

  /**
   * The scope's state with nothing unconfirmed in it: waits for queued commits to settle. The
   * caller holds the scope's lock, so no new commit is queued meanwhile.
   */
  async confirmed(scope: string): Promise<ScopeState> {
    for (;;) {
      const state = await this.get(scope);
      if (state.head === state.confirmedHead) return state;
      await state.settled;
    }
  }

  async #load(scope: string): Promise<ScopeState> {
    const snapshot = await this.#store.loadSnapshot(scope);
    let tables: MemoryTables;
    try {
      tables = snapshot ? MemoryTables.restore(this.#app.tables, snapshot.tables) : new MemoryTables(this.#app.tables);
    } catch (error) {
      throw this.#quarantine({ scope, seq: snapshot?.seq ?? 0, type: 'snapshot', message: describe(error) });
    }
    const seq = snapshot?.seq ?? 0;
    const state: ScopeState = {
      scope,
      tables,
      head: seq,
      recent: [],
      snapshotSeq: seq,
      confirmedHead: seq,
      settled: Promise.resolve(),
    };
    for (;;) {
      const { events, head } = await this.#store.readEvents(scope, state.head, REPLAY_PAGE);
      for (const event of events) this.#replay(tables, event);
      if (events.length > 0) state.head = events.at(-1)?.seq ?? state.head;
      state.recent.push(...events.slice(-this.#recentEvents));
      if (state.recent.length > this.#recentEvents) state.recent.splice(0, state.recent.length - this.#recentEvents);
      state.confirmedHead = state.head;
      if (events.length === 0 || state.head >= head) return state;
    }
  }

  #replay(tables: MemoryTables, event: WireEvent): void {
    const { scope, seq, type } = event;
    if (!Object.hasOwn(this.#app.events, type)) {
      throw this.#quarantine({ scope, seq, type, message: `app version ${this.#app.version} does not know ${type}` });
    }
    try {
      applyEvent(this.#app, tables, event);
    } catch (error) {
      throw this.#quarantine({ scope, seq, type, message: describe(error) });
    }
  }

  #quarantine(quarantine: ScopeQuarantine): WeftError {
    if (!this.#quarantined.has(quarantine.scope)) {
      this.#quarantined.set(quarantine.scope, quarantine);
      this.#onQuarantine(quarantine);
    }
    return quarantineError(quarantine);
  }

  #remember(state: ScopeState): void {
    this.#states.set(state.scope, state);
    while (this.#states.size > this.#maxScopes) {
      const oldest = this.#states.keys().next().value;
      if (oldest === undefined) break;
      this.#states.delete(oldest);
    }
  }
}

function describeQuarantine({ scope, seq, type, message }: ScopeQuarantine): string {
  return `${scope} at seq ${seq} (${type}): ${message}`;
}

function quarantineError(quarantine: ScopeQuarantine): WeftError {
  return new WeftError(
    'internal',
    `scope ${quarantine.scope} is quarantined: its projection failed on event ${quarantine.seq} (${quarantine.type})`,
    { scope: quarantine.scope, seq: quarantine.seq },
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
