import type { WireEvent } from '../../shared/index.ts';

/**
 * The reactions' storage port: one checkpoint per reaction (the id of the last audit record
 * it fully handled) and the events it parked.
 *
 * Contract, for every adapter:
 * - `get` returns 0 for a reaction never saved; `save` is durable once it resolves.
 * - `park` stores the entry (or updates it when `id` is given) and, in the same transaction,
 *   moves the checkpoint to `checkpoint` when one is given: a crash never both loses a parked
 *   entry and skips past its events.
 * - `parked` lists a reaction's entries in the order they were parked.
 * - `lease`, where present, is held by at most one store at a time per reaction.
 */
export interface CheckpointStore {
  readonly kind: string;
  get(reaction: string): Promise<number>;
  save(reaction: string, auditId: number): Promise<void>;
  list(): Promise<Array<{ reaction: string; auditId: number }>>;
  park(entry: ParkedInput, checkpoint?: number): Promise<number>;
  parked(reaction: string): Promise<ParkedEvents[]>;
  unpark(reaction: string, id: number): Promise<void>;
  /**
   * For stores shared by several server nodes: tries to take (or confirms this store still
   * holds) the exclusive right to run `reaction`. Without it every runner runs every reaction.
   */
  lease?(reaction: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The events of one command that a reaction gave up on after `attempts` failures. */
export interface ParkedEvents {
  readonly id: number;
  readonly reaction: string;
  readonly auditId: number;
  readonly scope: string;
  readonly events: ReadonlyArray<WireEvent>;
  readonly error: string;
  readonly attempts: number;
  readonly parkedAt: number;
}

export type ParkedInput = Omit<ParkedEvents, 'id'> & { readonly id?: number };
