import { type AnyApp, applyEvent, MemoryTables, type OverlayTables, type WireEvent } from '../shared/index.ts';
import type { EventStore } from './store/port.ts';

/** One scope's authoritative state in memory: its projection tables at `head`. */
export interface ScopeState {
  readonly scope: string;
  readonly tables: MemoryTables;
  head: number;
  /** The latest events, newest last, so an audit can name what intervened without a read. */
  readonly recent: WireEvent[];
  snapshotSeq: number;
}

export interface ScopeCacheOptions {
  /** Scopes kept in memory; the least recently used beyond this are dropped. */
  readonly maxScopes?: number;
  /** Save a snapshot once this many events have been appended since the last one. */
  readonly snapshotEvery?: number;
  /** How many of each scope's latest events stay in memory. */
  readonly recentEvents?: number;
  readonly onSnapshotError?: (error: unknown) => void;
}

const REPLAY_PAGE = 2000;

/**
 * The scope states the push pipeline runs commands against: loaded from the latest snapshot
 * plus the events after it, then kept current by `advance` after each commit. The store stays
 * the authority: a commit that finds a head moved (another node) invalidates the scope.
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

  constructor(app: AnyApp, store: EventStore, options: ScopeCacheOptions = {}) {
    this.#app = app;
    this.#store = store;
    this.#maxScopes = options.maxScopes ?? 10_000;
    this.#snapshotEvery = options.snapshotEvery ?? 1000;
    this.#recentEvents = options.recentEvents ?? 128;
    this.#onSnapshotError = options.onSnapshotError ?? ((error) => console.error('weft: snapshot failed', error));
  }

  async get(scope: string): Promise<ScopeState> {
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

  /** Applies a committed batch: the scope's changes, its new events and head. */
  advance(state: ScopeState, changes: OverlayTables, events: ReadonlyArray<WireEvent>, head: number): void {
    changes.commitTo(state.tables);
    state.head = head;
    state.recent.push(...events);
    if (state.recent.length > this.#recentEvents) state.recent.splice(0, state.recent.length - this.#recentEvents);
    if (head - state.snapshotSeq >= this.#snapshotEvery) {
      state.snapshotSeq = head;
      this.#store
        .saveSnapshot({ scope: state.scope, seq: head, tables: state.tables.dump() })
        .catch(this.#onSnapshotError);
    }
  }

  async #load(scope: string): Promise<ScopeState> {
    const snapshot = await this.#store.loadSnapshot(scope);
    const tables = snapshot
      ? MemoryTables.restore(this.#app.tables, snapshot.tables)
      : new MemoryTables(this.#app.tables);
    const state: ScopeState = { scope, tables, head: snapshot?.seq ?? 0, recent: [], snapshotSeq: snapshot?.seq ?? 0 };
    for (;;) {
      const { events, head } = await this.#store.readEvents(scope, state.head, REPLAY_PAGE);
      for (const event of events) applyEvent(this.#app, tables, event);
      if (events.length > 0) state.head = events.at(-1)?.seq ?? state.head;
      state.recent.push(...events.slice(-this.#recentEvents));
      if (state.recent.length > this.#recentEvents) state.recent.splice(0, state.recent.length - this.#recentEvents);
      if (events.length === 0 || state.head >= head) return state;
    }
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
