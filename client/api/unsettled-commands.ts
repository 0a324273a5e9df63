import type { CommandUpdate } from '../base/index.ts';

/** The last stage of a command still unsettled when its session closes (its outbox row stays). */
export function closedUpdate(id: string): CommandUpdate {
  return { id, stage: 'rejected', code: 'closed', message: 'the client closed before the server settled this command' };
}

/** A command some layer waits on: its id and who hears of its later stages. */
export interface TrackedCommand {
  readonly id: string;
  readonly listener: (update: CommandUpdate) => void;
}

/**
 * The commands a layer sent and has not seen settled, by id: the one place a layer remembers
 * them (the page, the worker's port, the tab session across leader changes, a follower's link
 * to its leader). One drop rule everywhere: a command leaves when it is confirmed or rejected
 * (the last stage it can have), or when its submit was refused (no stage will follow). A
 * `durable` stage keeps it: `confirmed` or `rejected` is still to come.
 */
export class UnsettledCommands<C extends TrackedCommand = TrackedCommand> {
  readonly #commands = new Map<string, C>();

  add(command: C): void {
    this.#commands.set(command.id, command);
  }

  get(id: string): C | undefined {
    return this.#commands.get(id);
  }

  get size(): number {
    return this.#commands.size;
  }

  /** Tells the command's listener; a settled command leaves first (its listener may add it again). */
  update(update: CommandUpdate): void {
    const command = this.#commands.get(update.id);
    if (!command) return;
    if (update.stage !== 'durable') this.#commands.delete(update.id);
    command.listener(update);
  }

  /** Its submit was refused (or failed): it never ran, so nothing more will be heard of it. */
  refused(id: string): void {
    this.#commands.delete(id);
  }

  /** The commands still unsettled, oldest first. */
  values(): C[] {
    return [...this.#commands.values()];
  }

  /** Settles every command left with `update` (e.g. rejected as `closed`), and forgets them all. */
  settleAll(update: (id: string) => CommandUpdate): void {
    for (const command of this.values()) this.update(update(command.id));
    this.#commands.clear();
  }

  /** Forgets every command without telling anyone (their answers will come from elsewhere). */
  clear(): void {
    this.#commands.clear();
  }
}
