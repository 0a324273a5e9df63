import type { TableQuery, WireEvent } from '../../../shared/index.ts';
import type { ClientStorage, LoadRequest, StorageCommit, StoredState } from '../../storage/index.ts';
import type { Prng } from './prng.ts';
import type { VirtualClock } from './virtual-clock.ts';

/**
 * What a client's storage durably holds of the confirmed stream, as seen from the commits that
 * landed: the oracle's view of the client's confirmed log (G6), kept across crashes. It also
 * checks, at every commit, that the log only grows by the next seqs (monotonic reads) and that a
 * scope's cursor never goes back (`lastSynced` monotone), unless the commit resets the scope.
 */
export class DurableShadow {
  readonly events = new Map<string, WireEvent[]>();
  readonly cursors = new Map<string, number>();
  /** Violations seen at commit time; the oracle reports them. */
  readonly problems: string[] = [];

  apply(change: StorageCommit): void {
    for (const scope of change.resetScopes ?? []) {
      this.events.delete(scope);
      this.cursors.delete(scope);
    }
    for (const event of change.events ?? []) {
      const log = this.events.get(event.scope) ?? [];
      const last = log.at(-1)?.seq ?? 0;
      if (event.seq !== last + 1) this.problems.push(`${event.scope}: stored seq ${event.seq} after ${last}`);
      log.push(event);
      this.events.set(event.scope, log);
    }
    for (const [scope, cursor] of Object.entries(change.cursors ?? {})) {
      const before = this.cursors.get(scope) ?? 0;
      if (cursor < before) this.problems.push(`${scope}: cursor went back from ${before} to ${cursor}`);
      const head = this.events.get(scope)?.at(-1)?.seq ?? 0;
      if (cursor !== head) this.problems.push(`${scope}: cursor ${cursor} but stored events end at ${head}`);
      this.cursors.set(scope, cursor);
    }
  }
}

/** What a commit is about, so the simulator can crash at a named point (TEST-PLAN F06). */
export type CommitKind = 'outbox' | 'settle' | 'rebase' | 'other';

export interface CrashableStorageOptions {
  readonly clock: VirtualClock;
  readonly rng: Prng;
  /** Most milliseconds of virtual time a commit takes (drawn per commit). */
  readonly maxCommitMs: number;
  readonly shadow: DurableShadow;
  /** Called when a commit starts, before it lands; the simulator may crash the engine here. */
  readonly onCommit?: (kind: CommitKind, change: StorageCommit) => void;
  /** Whether the engine has pending commands now (tells a rebase commit from a plain catch-up). */
  readonly hasPending?: () => boolean;
}

/**
 * One engine incarnation's view of a client's storage: commits take virtual time, so a crash can
 * find one in flight, and `kill()` decides by the PRNG whether that commit landed (a crash around
 * the IndexedDB commit) before it makes every later call hang, as a dead worker's would. The
 * storage under it (a `memoryStorage`) outlives the incarnation, as IndexedDB outlives a worker.
 */
export class CrashableStorage implements ClientStorage {
  readonly #inner: ClientStorage;
  readonly #options: CrashableStorageOptions;
  #inFlight: { change: StorageCommit; land: () => void } | null = null;
  #dead = false;

  constructor(inner: ClientStorage, options: CrashableStorageOptions) {
    this.#inner = inner;
    this.#options = options;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** A commit has started and not landed. */
  get busy(): boolean {
    return this.#inFlight !== null;
  }

  load(request: LoadRequest): Promise<StoredState> {
    return this.#unlessDead(() => this.#inner.load(request));
  }

  readRows(table: string, scope: string, where?: Readonly<Record<string, unknown>>) {
    return this.#unlessDead(() => this.#inner.readRows(table, scope, where));
  }

  queryRows(table: string, scope: string, query?: TableQuery) {
    return this.#unlessDead(() => this.#inner.queryRows(table, scope, query));
  }

  getRows(table: string, scope: string, keys: ReadonlyArray<string>) {
    return this.#unlessDead(() => this.#inner.getRows(table, scope, keys));
  }

  readEvents(scope: string): Promise<WireEvent[]> {
    return this.#unlessDead(() => this.#inner.readEvents(scope));
  }

  commit(change: StorageCommit): Promise<void> {
    if (this.#dead) return never();
    if (this.#inFlight) throw new Error('the engine started a commit while another was in flight');
    return new Promise<void>((resolve, reject) => {
      const land = () => {
        this.#inFlight = null;
        this.#inner.commit(change).then(() => {
          this.#options.shadow.apply(change);
          if (!this.#dead) resolve();
        }, reject);
      };
      this.#inFlight = { change, land };
      const { clock, rng, maxCommitMs } = this.#options;
      clock.setTimeout(
        () => {
          if (this.#inFlight?.land === land && !this.#dead) land();
        },
        rng.int(0, maxCommitMs),
      );
      this.#options.onCommit?.(classify(change, this.#options.hasPending?.() ?? false), change);
    });
  }

  persist(): Promise<boolean> {
    return Promise.resolve(false);
  }

  close(): Promise<void> {
    return this.#unlessDead(() => this.#inner.close());
  }

  /**
   * The worker dies now. A commit in flight lands or not, by the PRNG; returns which, or null
   * when none was in flight. Nothing this incarnation asks for afterwards ever completes.
   */
  kill(): 'landed' | 'lost' | null {
    if (this.#dead) return null;
    const inFlight = this.#inFlight;
    this.#dead = true;
    this.#inFlight = null;
    if (!inFlight) return null;
    if (this.#options.rng.chance(0.5)) {
      inFlight.land();
      return 'landed';
    }
    return 'lost';
  }

  #unlessDead<T>(call: () => Promise<T>): Promise<T> {
    return this.#dead ? never() : call();
  }
}

function classify(change: StorageCommit, pending: boolean): CommitKind {
  if (change.outbox?.length && !change.clearOutbox) return 'outbox';
  if (change.settled?.length) return 'settle';
  if (change.events?.length && pending) return 'rebase';
  return 'other';
}

function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}
