import { createHash } from 'node:crypto';
import {
  type AnyApp,
  type PushRequest,
  type PushResult,
  resolveCommand,
  WeftError,
  type WireEvent,
} from '../../shared/index.ts';
import type { Principal } from '../auth.ts';
import type { EventStore } from '../store/port.ts';

/**
 * Client ids and command ids with this prefix belong to reactions; HTTP clients may use
 * neither. Saga command ids are predictable (they derive from their cause), and command ids are
 * unique across clients, so a client that could push one first would make the saga's command an
 * `idempotency_conflict` for good: the prefix keeps every server-issued id out of their reach.
 */
export const REACTION_CLIENT_PREFIX = 'reaction:';

export const reactionClientId = (reaction: string): string => `${REACTION_CLIENT_PREFIX}${reaction}`;

/** Pushes one request in-process through the full pipeline, as `principal`. */
export type InProcessPush = (principal: Principal, request: PushRequest) => Promise<PushResult[]>;

const ID = /^[\w.:@-]{1,128}$/u;

/**
 * The id of the `n`th `name` command a reaction issues for `cause`:
 * `reaction:<reaction>:<scope>:<seq>:<name>.<n>` when that is a valid command id, else the
 * scope is replaced by a hash of it. The same cause always yields the same id, always in the
 * reserved namespace (`REACTION_CLIENT_PREFIX`).
 */
export function sagaCommandId(reaction: string, cause: WireEvent, name: string, n: number): string {
  const plain = `${REACTION_CLIENT_PREFIX}${reaction}:${cause.scope}:${cause.seq}:${name}.${n}`;
  if (ID.test(plain)) return plain;
  const scope = createHash('sha256').update(cause.scope).digest('base64url').slice(0, 16);
  const hashed = `${REACTION_CLIENT_PREFIX}${reaction}:${scope}:${cause.seq}:${name.slice(0, 40)}.${n}`;
  return ID.test(hashed)
    ? hashed
    : `${REACTION_CLIENT_PREFIX}${createHash('sha256').update(plain).digest('base64url')}`;
}

/** Whether a command id is in the namespace of server-issued commands, which clients may not push. */
export const isServerCommandId = (id: string): boolean => id.startsWith(REACTION_CLIENT_PREFIX);

/**
 * Issues a command as the reaction's own client. Its `seq` is durable because it is the
 * store's: a command already stored under `id` is resent with its stored `seq` (answered as a
 * duplicate), a new one takes the client's last seq + 1. Callers issue one at a time per reaction.
 */
export async function issueSagaCommand(
  deps: { app: AnyApp; store: EventStore; push: InProcessPush },
  reaction: string,
  command: { id: string; name: string; args: unknown; at: number },
): Promise<PushResult> {
  const clientId = reactionClientId(reaction);
  const resolved = resolveCommand(deps.app, command.name, command.args);
  if (!resolved.ok) throw new WeftError('bad_request', `reaction ${reaction}: ${resolved.message}`);
  const lookup = await deps.store.lookupClient(clientId, { seqs: [], commandIds: [command.id] });
  const stored = lookup.results.find((r) => r.commandId === command.id);
  const seq = stored?.seq ?? (lookup.client?.lastSeq ?? 0) + 1;
  const { head } = await deps.store.readEvents(resolved.scope, 0, 0);
  const [result] = await deps.push(
    { userId: clientId },
    {
      clientId,
      commands: [{ id: command.id, seq, name: command.name, args: command.args, at: command.at, baseSeq: head }],
    },
  );
  if (!result) throw new Error(`reaction ${reaction}: the push returned no result`);
  return result;
}
