import type { AuditRecord } from '../../shared/index.ts';
import { type DevtoolsServer, ServerRefusal } from './server-api.ts';

export type AuditState =
  | { readonly kind: 'off' } // no server configured
  | { readonly kind: 'idle' | 'loading' | 'ready' }
  | { readonly kind: 'forbidden'; readonly message: string }
  | { readonly kind: 'error'; readonly message: string };

/**
 * The server's audit records of the scopes the panel shows, by command id: a command's outcome
 * and the commands whose events intervened (who, what). Reading them needs the admin token or
 * the user's `audit` right on the scope; without it the panel says so and shows the rest.
 */
export class AuditIndex {
  readonly #server: DevtoolsServer | null;
  readonly #byCommand = new Map<string, AuditRecord>();
  readonly #listeners = new Set<() => void>();
  #state: AuditState;
  /** The read under way, and whether another was asked for meanwhile (then one more follows). */
  #running: Promise<void> | null = null;
  #again: { scopes: Iterable<string>; since: number | undefined } | null = null;

  constructor(server: DevtoolsServer | null) {
    this.#server = server;
    this.#state = server ? { kind: 'idle' } : { kind: 'off' };
  }

  get state(): AuditState {
    return this.#state;
  }

  record(commandId: string): AuditRecord | undefined {
    return this.#byCommand.get(commandId);
  }

  /**
   * Reads the records of `scopes` written since `since` (server ms; a margin covers skew). Calls
   * made while a read runs collapse into one more read after it, so a burst of settlements
   * costs two reads, not one per command.
   */
  refresh(scopes: Iterable<string>, since?: number): Promise<void> {
    if (!this.#server) return Promise.resolve();
    if (this.#running) {
      this.#again = { scopes, since };
      return this.#running;
    }
    this.#running = this.#read(scopes, since).finally(() => {
      this.#running = null;
      const again = this.#again;
      this.#again = null;
      if (again) void this.refresh(again.scopes, again.since);
    });
    return this.#running;
  }

  async #read(scopes: Iterable<string>, since: number | undefined): Promise<void> {
    if (!this.#server) return;
    this.#set({ kind: 'loading' });
    try {
      for (const scope of new Set(scopes)) {
        for (const record of await this.#server.audit(scope, since)) this.#byCommand.set(record.commandId, record);
      }
      this.#set({ kind: 'ready' });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#set(
        error instanceof ServerRefusal && (error.status === 403 || error.status === 401)
          ? { kind: 'forbidden', message }
          : { kind: 'error', message },
      );
    }
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #set(state: AuditState): void {
    this.#state = state;
    for (const listener of this.#listeners) listener();
  }
}
