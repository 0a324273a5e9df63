import type { ClientStatus, CommandTrace, RejectedRecord, WeftClient } from '../index.ts';

/**
 * What the devtools remember of a client while they are mounted, so the panel (loaded only
 * when opened) can show what happened before: every command's steps with their times, the
 * status history (errors, reconnects) and the rejection inbox. Small on purpose: this part is
 * loaded with `mountDevtools`; the views are not.
 */
export type CommandStage = 'executed' | 'applied' | 'durable' | 'pushed' | 'confirmed' | 'rejected';

export interface CommandEntry {
  readonly id: string;
  name: string;
  args: unknown;
  scope: string | null;
  state: 'pending' | 'confirmed' | 'rejected';
  /** When each step was seen on this page (ms since the epoch). */
  readonly times: Partial<Record<CommandStage, number>>;
  code?: string;
  message?: string;
  /** Known from the rejection inbox only (an earlier session or another tab issued it). */
  fromInbox: boolean;
  dismissed: boolean;
}

export interface ErrorEntry {
  readonly code: string;
  readonly message: string;
  readonly at: number;
}

export interface RecorderOptions {
  /** Commands kept, the newest (default 500). */
  readonly limit?: number;
  readonly now?: () => number;
}

export class DevtoolsRecorder {
  readonly client: WeftClient;
  readonly #commands = new Map<string, CommandEntry>();
  readonly #errors: ErrorEntry[] = [];
  readonly #listeners = new Set<() => void>();
  readonly #stops: Array<() => void> = [];
  readonly #limit: number;
  readonly #now: () => number;
  #status: ClientStatus;
  #reconnects = 0;
  /** The client has been online, then offline, since mounted: the next online is a reconnect. */
  #dropped = false;
  #scheduled = false;

  constructor(client: WeftClient, options: RecorderOptions = {}) {
    this.client = client;
    this.#limit = options.limit ?? 500;
    this.#now = options.now ?? Date.now;
    this.#status = client.status();
    this.#stops.push(client.onCommand((trace) => this.#trace(trace)));
    this.#stops.push(client.onStatus((status) => this.#onStatus(status)));
    this.#stops.push(client.onRejected((rejection) => this.#rejected(rejection)));
    client.rejections().then(
      (inbox) => {
        for (const rejection of inbox) this.#rejected(rejection);
      },
      () => undefined, // closed: nothing to show
    );
  }

  /** Newest first. */
  commands(): CommandEntry[] {
    return [...this.#commands.values()].reverse();
  }

  command(id: string): CommandEntry | undefined {
    return this.#commands.get(id);
  }

  status(): ClientStatus {
    return this.#status;
  }

  /** The distinct errors the status reported, newest first. */
  errors(): ErrorEntry[] {
    return [...this.#errors].reverse();
  }

  /** How often the client went from online to offline and back while mounted. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** Marks rejections dismissed (the panel dismissed them through the client). */
  markDismissed(ids: ReadonlyArray<string>): void {
    for (const id of ids) {
      const entry = this.#commands.get(id);
      if (entry) entry.dismissed = true;
    }
    this.#changed();
  }

  /** Calls `listener` after changes, at most once per microtask; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells the subscribers something outside the recorder changed (another tab answered). */
  notify(): void {
    this.#changed();
  }

  dispose(): void {
    for (const stop of this.#stops.splice(0)) stop();
    this.#listeners.clear();
  }

  #trace(trace: CommandTrace): void {
    let entry = this.#commands.get(trace.id);
    if (trace.stage === 'executed') {
      entry = {
        id: trace.id,
        name: trace.name,
        args: trace.args,
        scope: trace.scope,
        state: 'pending',
        times: {},
        fromInbox: false,
        dismissed: false,
      };
      this.#commands.set(trace.id, entry);
      this.#prune();
    }
    if (!entry) return;
    entry.times[trace.stage] ??= trace.at;
    if (trace.stage === 'confirmed') entry.state = 'confirmed';
    if (trace.stage === 'rejected') {
      entry.state = 'rejected';
      entry.code = trace.code;
      entry.message = trace.message;
    }
    this.#changed();
  }

  #rejected(rejection: RejectedRecord): void {
    const known = this.#commands.get(rejection.id);
    const entry: CommandEntry = known ?? {
      id: rejection.id,
      name: rejection.name,
      args: rejection.args,
      scope: rejection.scope,
      state: 'rejected',
      times: {},
      fromInbox: true,
      dismissed: false,
    };
    entry.state = 'rejected';
    entry.scope ??= rejection.scope;
    entry.code = rejection.code;
    entry.message = rejection.message;
    entry.times.rejected ??= rejection.settledAt;
    if (!known) this.#commands.set(rejection.id, entry);
    this.#changed();
  }

  #onStatus(status: ClientStatus): void {
    const before = this.#status;
    this.#status = status;
    if (before.online && !status.online) this.#dropped = true;
    if (!before.online && status.online && this.#dropped) this.#reconnects++;
    // A push starts: every durable command not yet sent goes with it (the outbox is sent in order).
    if (status.syncing && !before.syncing) {
      const at = this.#now();
      for (const entry of this.#commands.values()) {
        if (entry.state === 'pending' && entry.times.durable !== undefined) entry.times.pushed ??= at;
      }
    }
    const error = status.lastError;
    if (error && error !== before.lastError) {
      const last = this.#errors.at(-1);
      if (!last || last.at !== error.at || last.code !== error.code) this.#errors.push({ ...error });
      if (this.#errors.length > 50) this.#errors.shift();
    }
    this.#changed();
  }

  #prune(): void {
    for (const [id, entry] of this.#commands) {
      if (this.#commands.size <= this.#limit) return;
      if (entry.state !== 'pending') this.#commands.delete(id);
    }
  }

  #changed(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      for (const listener of this.#listeners) listener();
    });
  }
}
