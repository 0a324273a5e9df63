import { type AnyApp, resolveCommand, upcastCommand } from '../../shared/index.ts';
import type { OutboxRecord } from '../storage/index.ts';

/** A command the server has not settled yet, as the engine tracks it in memory. */
export interface PendingCommand {
  readonly id: string;
  /** Changes only when the server proves it never saw this seq (see `renumber`). */
  seq: number;
  readonly name: string;
  readonly args: unknown;
  readonly at: number;
  readonly scope: string;
  readonly baseSeq: number;
  readonly digest: string;
  /** The app version `name` and `args` are written for; pushed with `App.version`, so always the app's. */
  readonly version: number;
  /** The digest of the latest local run's events; null while it fails locally. */
  runDigest: string | null;
  /** Whether its outbox row has committed: only durable commands are pushed. */
  durable: boolean;
  /**
   * The last event seq of the server's answer once it applied the command (null while
   * unanswered); the command leaves once the confirmed state reaches it.
   */
  answeredThrough: number | null;
}

/**
 * The pending commands in memory, in seq order, with the client's seq counter.
 * Invariants: seqs are strictly increasing in `all()`; `lastSeq` ≥ every pending seq; a seq
 * is handed out once, and reused only by `renumber`, for seqs the server has proven it never
 * stored (so no seq the server holds is ever reused).
 */
export class Outbox {
  lastSeq: number;
  /** Every pending command by id; insertion order is seq order. */
  #commands = new Map<string, PendingCommand>();
  /** The same commands per scope, in seq order: rebases read one scope's without a scan. */
  readonly #byScope = new Map<string, Map<string, PendingCommand>>();

  constructor(lastSeq: number, records: ReadonlyArray<OutboxRecord>) {
    this.lastSeq = lastSeq;
    for (const record of records) {
      this.add({
        ...record,
        version: record.version ?? 1,
        runDigest: record.digest,
        durable: true,
        answeredThrough: null,
      });
      this.lastSeq = Math.max(this.lastSeq, record.seq);
    }
  }

  get size(): number {
    return this.#commands.size;
  }

  /** Takes the next seq; the caller adds the command under it. */
  nextSeq(): number {
    return ++this.lastSeq;
  }

  add(command: PendingCommand): void {
    this.#commands.set(command.id, command);
    const scope = this.#byScope.get(command.scope);
    if (scope) scope.set(command.id, command);
    else this.#byScope.set(command.scope, new Map([[command.id, command]]));
  }

  get(id: string): PendingCommand | undefined {
    return this.#commands.get(id);
  }

  all(): PendingCommand[] {
    return [...this.#commands.values()];
  }

  inScope(scope: string): PendingCommand[] {
    return [...(this.#byScope.get(scope)?.values() ?? [])];
  }

  /** Removes the commands with these ids; returns those that were pending. */
  remove(ids: Iterable<string>): PendingCommand[] {
    const removed: PendingCommand[] = [];
    for (const id of ids) {
      const command = this.#commands.get(id);
      if (!command) continue;
      this.#commands.delete(id);
      const scope = this.#byScope.get(command.scope);
      scope?.delete(id);
      if (scope?.size === 0) this.#byScope.delete(command.scope);
      removed.push(command);
    }
    return removed.sort((a, b) => a.seq - b.seq);
  }

  /** Durable commands the server has not answered, oldest first, up to the first not yet durable. */
  *unanswered(): IterableIterator<PendingCommand> {
    for (const command of this.#commands.values()) {
      if (!command.durable) return;
      if (command.answeredThrough === null) yield command;
    }
  }

  /**
   * The server expects `expected` as this client's next seq (a `seq_gap` answer), so it stored
   * no seq from `expected` on: the unanswered commands take `expected, expected + 1, …` in
   * order, and the counter follows. Returns whether anything changed; the caller rewrites the
   * outbox durably before pushing again.
   */
  renumber(expected: number): boolean {
    const all = this.all();
    const moving = all.filter((command) => command.answeredThrough === null || command.seq >= expected);
    const lastSeq = expected + moving.length - 1;
    if (lastSeq === this.lastSeq && (moving[0]?.seq ?? expected) === expected) return false;
    const movingSet = new Set(moving);
    const kept = all.filter((command) => !movingSet.has(command));
    moving.forEach((command, i) => {
      command.seq = expected + i;
      command.answeredThrough = null;
    });
    // Per-scope order is unchanged: moving commands keep their relative order.
    this.#commands = new Map([...kept, ...moving].map((command) => [command.id, command]));
    this.lastSeq = lastSeq;
    return true;
  }
}

export function outboxRecord(command: PendingCommand): OutboxRecord {
  const { id, seq, name, args, at, scope, baseSeq, digest, version } = command;
  return { id, seq, name, args, at, scope, baseSeq, digest, version };
}

/**
 * A command kept across an app upgrade, in the current app's form: run through the upcasters
 * from the version it was issued under (none recorded: 1), its scope recomputed. The stored
 * row is left as it is; the upcast is pure, so every load gets the same form, and the next
 * rewrite of the row stores it. One the upcasters cannot convert stays as it was: the server
 * refuses it alone and the push loop settles it as rejected, so it cannot wedge the queue.
 */
export function upcastRecord(app: AnyApp, record: OutboxRecord): OutboxRecord {
  const from = record.version ?? 1;
  if (from >= app.version) return record;
  const form = upcastCommand(app, { name: record.name, args: record.args }, from);
  if (!form.ok) return record;
  const resolved = resolveCommand(app, form.name, form.args);
  const scope = resolved.ok ? resolved.scope : record.scope;
  return { ...record, name: form.name, args: form.args, scope, version: app.version };
}
