import type { PushResult, TableReader, WireEvent } from '../../shared/index.ts';

/**
 * A reaction: server code subscribed to the ordered event feed (DESIGN §4 "Reactions").
 * Delivery is at least once, in commit order, in batches; a handler must tolerate seeing an
 * event again after a crash (dedupe by `(scope, seq)`, or issue follow-up commands through
 * `ctx.command`, which is exactly once).
 */
export interface Reaction {
  /** Unique; letters, digits, `_`, `-` and `.`; also names its checkpoint and its saga client. */
  readonly name: string;
  /** Event types delivered; every type when absent. */
  readonly events?: ReadonlyArray<string>;
  /** Only scopes starting with this prefix; every scope when absent. */
  readonly scopePrefix?: string;
  /** Events per batch (a batch never splits one command's events). Default: the runner's. */
  readonly batchSize?: number;
  /** Failures of one command's events before they are parked. Default: the runner's. */
  readonly maxAttempts?: number;
  /**
   * `durable` (default): the checkpoint lives in the `CheckpointStore`. `memory`: every start
   * replays the whole feed, for reactions whose own state is in memory (read models).
   */
  readonly checkpoint?: 'durable' | 'memory';
  /** Handles one batch; a throw (or rejection) retries the batch with backoff. */
  handle(events: ReadonlyArray<WireEvent>, ctx: ReactionContext): void | Promise<void>;
}

/** What a handler may do beyond its own side effects. */
export interface ReactionContext {
  readonly reaction: string;
  /**
   * Pushes a follow-up command through the push pipeline as the client `reaction:<name>`. Its id
   * is derived from `cause`, the command name and how many commands of that name this delivery
   * already issued for `cause`, so a re-delivery resends the same command and gets the stored
   * outcome (`duplicate: true`): exactly once. Issue commands in a deterministic order.
   * A rejection by the command's handler is returned; invalid names or args throw.
   */
  command(cause: WireEvent, name: string, args: unknown): Promise<PushResult>;
  /** The server's current projection state of `scope` (read-only) and its head. */
  read(scope: string): Promise<{ readonly tables: TableReader; readonly head: number }>;
}

const NAME = /^[\w.-]{1,64}$/u;

/**
 * Checks and freezes a reaction definition.
 *
 * @example
 * const mailer = defineReaction({ name: 'mailer', events: ['cardAdded'], async handle(events) { … } });
 */
export function defineReaction<R extends Reaction>(reaction: R): R {
  if (!NAME.test(reaction.name)) throw new Error(`reaction name "${reaction.name}" must match ${NAME}`);
  if (reaction.batchSize !== undefined && !(Number.isInteger(reaction.batchSize) && reaction.batchSize >= 1))
    throw new Error(`reaction ${reaction.name}: batchSize must be a positive integer`);
  if (reaction.maxAttempts !== undefined && !(Number.isInteger(reaction.maxAttempts) && reaction.maxAttempts >= 1))
    throw new Error(`reaction ${reaction.name}: maxAttempts must be a positive integer`);
  return Object.freeze(reaction);
}
