import type { AnyApp, PushRequest } from '../../../shared/index.ts';
import type { CommandError } from '../../base/index.ts';
import { Engine } from '../../engine/index.ts';
import type { ClientStorage, StorageCommit } from '../../storage/index.ts';
import { memoryStorage } from '../../storage/index.ts';
import type { SyncOptions } from '../../sync/index.ts';
import { type CommitKind, CrashableStorage, DurableShadow } from './crashable-storage.ts';
import type { Prng } from './prng.ts';
import type { SimNetwork } from './sim-network.ts';
import type { ClockDomain, VirtualClock } from './virtual-clock.ts';

/** The named client crash points of TEST-PLAN F06, observed at the ports. */
export const CRASH_POINTS = [
  /** An outbox append is committing. */
  'beforeOutboxCommit',
  /** A push leaves, after its commands were durable. */
  'afterCommitBeforePush',
  /** The server answered a push; the reply reaches a dead worker. */
  'afterPushBeforeReply',
  /** The reply arrived and the commit that settles its commands is in flight. */
  'afterReplyBeforeConfirmed',
  /** Confirmed events of others arrived while commands are pending: the rebase's commit is in flight. */
  'duringRebase',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** What the simulator knows about one command a client executed. */
export interface Issued {
  readonly id: string;
  readonly client: string;
  readonly name: string;
  readonly args: unknown;
  readonly at: number;
  readonly incarnation: number;
  /** `durable` resolved: the UI was told it survives a crash. */
  durable: boolean;
  /** `confirmed` resolved or rejected. */
  settled: 'confirmed' | 'rejected' | null;
  code: string | null;
}

export interface SimClientOptions<A extends AnyApp> {
  readonly name: string;
  readonly app: A;
  readonly scopes: ReadonlyArray<string>;
  readonly clock: VirtualClock;
  readonly rng: Prng;
  readonly network: SimNetwork;
  readonly log: (line: string) => void;
  readonly syncOptions?: Omit<SyncOptions, 'clock' | 'random'>;
  /** Most virtual milliseconds a storage commit takes. */
  readonly maxCommitMs?: number;
}

/**
 * One simulated client: a `memoryStorage` that outlives crashes (it is the device's IndexedDB;
 * chosen over Dexie on fake-indexeddb because fake-indexeddb schedules its work on real
 * `setImmediate`/`setTimeout`, which the virtual clock cannot order), and a series of engine
 * incarnations over it, each with its own clock domain, storage view and transport endpoint, so
 * `crash()` kills one without touching engine code.
 */
export class SimClient<A extends AnyApp = AnyApp> {
  readonly name: string;
  readonly shadow = new DurableShadow();
  readonly storage: ClientStorage;
  readonly issued = new Map<string, Issued>();
  /** Ids in the order this client executed them, over all incarnations. */
  readonly order: string[] = [];
  engine: Engine<A> | null = null;
  incarnation = 0;
  /** Crash here the next `countdown`-th time the point is reached (F06). */
  armed: { point: CrashPoint; countdown: number } | null = null;
  /** Crashes that happened: where, and whether a commit in flight landed. */
  readonly crashes: Array<{ point: CrashPoint | 'manual'; commit: 'landed' | 'lost' | null }> = [];
  readonly #options: SimClientOptions<A>;
  #domain: ClockDomain | null = null;
  #view: CrashableStorage | null = null;
  #dead = true;
  #ids = 0;

  constructor(options: SimClientOptions<A>) {
    this.#options = options;
    this.name = options.name;
    this.storage = memoryStorage({ tables: options.app.tables });
  }

  get alive(): boolean {
    return !this.#dead && this.engine !== null;
  }

  /**
   * Nothing of this incarnation is on its way to storage: memory's confirmed state equals the
   * durable one (what the G7 check compares against).
   */
  get writesIdle(): boolean {
    return this.alive && !this.#view?.busy;
  }

  async open(): Promise<Engine<A>> {
    const { app, clock, rng, network, scopes, log } = this.#options;
    const incarnation = ++this.incarnation;
    const domain = clock.domain();
    this.#domain = domain;
    this.#dead = false;
    const view = new CrashableStorage(this.storage, {
      clock,
      rng,
      maxCommitMs: this.#options.maxCommitMs ?? 2,
      shadow: this.shadow,
      onCommit: (kind, change) => this.#onCommit(kind, change),
      hasPending: () => (this.engine?.pending().length ?? 0) > 0,
    });
    this.#view = view;
    const transport = network.transport({
      name: this.name,
      auth: `demo:${this.name}`,
      dead: () => this.#dead || this.incarnation !== incarnation,
      onPush: (stage, request) => this.#onPush(stage, request),
    });
    this.engine = null;
    const engine = await Engine.open<A>({
      app,
      storage: view,
      transport,
      scopes,
      clock: domain,
      random: () => rng.next(),
      newId: () => `${this.name}-${incarnation}-${++this.#ids}-${rng.hex(6)}`,
      ...(this.#options.syncOptions ? { syncOptions: this.#options.syncOptions } : {}),
    });
    if (this.incarnation === incarnation) this.engine = engine;
    log(`${this.name} opened (incarnation ${incarnation}, pending ${engine.pending().length})`);
    return engine;
  }

  /** Runs a command now; false when the engine refused it locally. */
  execute(name: string, args: unknown): Issued | null {
    const engine = this.engine;
    if (!engine || this.#dead) return null;
    const at = this.#options.clock.now();
    const run = engine.execute(name as never, args as never);
    // A command refused locally rejects all three; nobody awaits those.
    for (const stage of [run.applied, run.durable, run.confirmed]) stage.catch(() => undefined);
    const submitted = engine.commandState(run.id) === 'pending';
    if (!submitted) {
      this.#options.log(`${this.name} ${name} refused locally`);
      return null;
    }
    const issued: Issued = {
      id: run.id,
      client: this.name,
      name,
      args,
      at,
      incarnation: this.incarnation,
      durable: false,
      settled: null,
      code: null,
    };
    this.issued.set(run.id, issued);
    this.order.push(run.id);
    this.#options.log(`${this.name} executes ${name} ${JSON.stringify(args)} as ${run.id}`);
    run.durable.then(
      () => {
        issued.durable = true;
      },
      () => undefined,
    );
    run.confirmed.then(
      () => {
        issued.settled = 'confirmed';
      },
      (error: CommandError) => {
        issued.settled = 'rejected';
        issued.code = error.code;
      },
    );
    return issued;
  }

  /** Kills the worker now: memory is lost, a commit in flight lands or not (PRNG). */
  crash(point: CrashPoint | 'manual' = 'manual'): void {
    if (this.#dead) return;
    this.#dead = true;
    this.armed = null;
    this.#domain?.kill();
    const commit = this.#view?.kill() ?? null;
    this.crashes.push({ point, commit });
    this.#options.log(`${this.name} CRASH at ${point} (commit in flight: ${commit ?? 'none'})`);
    this.engine = null;
  }

  /** A clean close (a tab closed normally), not a crash. */
  async close(): Promise<void> {
    const engine = this.engine;
    this.engine = null;
    this.#dead = true;
    await engine?.close();
    this.#domain?.kill();
  }

  #reached(point: CrashPoint): void {
    const armed = this.armed;
    if (!armed || armed.point !== point) return;
    if (--armed.countdown > 0) return;
    this.crash(point);
  }

  #onCommit(kind: CommitKind, _change: StorageCommit): void {
    if (kind === 'outbox') this.#reached('beforeOutboxCommit');
    else if (kind === 'settle') this.#reached('afterReplyBeforeConfirmed');
    else if (kind === 'rebase') this.#reached('duringRebase');
  }

  #onPush(stage: 'send' | 'reply', _request: PushRequest): void {
    this.#reached(stage === 'send' ? 'afterCommitBeforePush' : 'afterPushBeforeReply');
  }
}
