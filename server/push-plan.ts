import { createHash } from 'node:crypto';
import {
  type AnyApp,
  canonicalJson,
  type PushCommand,
  type ResolvedCommand,
  resolveCommand,
  upcastCommand,
  WeftError,
} from '../shared/index.ts';
import type { ClientLookup, StoredResult } from './store/port.ts';

/** A command of a push, checked and placed: new work, or a resend of a settled command. */
export type PlannedCommand =
  | {
      readonly kind: 'new';
      readonly command: PushCommand;
      readonly scope: string;
      readonly argsJson: string;
      /** The validated args and scope, handed to `executeCommand` so they are not validated again. */
      readonly resolved: Extract<ResolvedCommand, { ok: true }>;
      /** Why the command settles `payload_too_large` without running (args over `maxArgsBytes`). */
      readonly oversized?: string;
    }
  | { readonly kind: 'stored'; readonly command: PushCommand; readonly stored: StoredResult }
  | { readonly kind: 'repeat'; readonly command: PushCommand; readonly index: number };

/**
 * Validates a whole push before anything runs, so a bad request stores nothing:
 * every command upcast from the client's app `version` to the current one (an upcaster that
 * fails is a 400 naming it), every name known and args valid (404 / 400), then per command
 * in request order:
 * a resend of a stored command (same id, seq, name, args) is a duplicate; the same id or seq
 * with anything else is `idempotency_conflict`; a new command must carry the next seq
 * (`seq_gap`, or `client_unknown` when the server has no record of the client at all).
 * A planned command is in its current form, which is what runs and is stored. A resend
 * matches its stored original when both have the same current form: a command whose answer
 * was lost may come back from a client that upcast its outbox after an upgrade, to a server
 * redeployed meanwhile, while the store holds the form of the version that ran it.
 */
export function planPush(
  app: AnyApp,
  clientId: string,
  commands: ReadonlyArray<PushCommand>,
  lookup: ClientLookup,
  version: number = app.version,
  maxArgsBytes: number = Number.POSITIVE_INFINITY,
): PlannedCommand[] {
  const resolved = commands.map((sent) => {
    const form = upcastCommand(app, sent, version);
    if (!form.ok) throw new WeftError('bad_request', form.message, { commandId: sent.id });
    const upcast = form.name !== sent.name || form.args !== sent.args;
    const command = upcast ? { ...sent, name: form.name, args: form.args } : sent;
    const result = resolveCommand(app, command.name, command.args);
    if (!result.ok) {
      throw new WeftError(result.code === 'unknown_command' ? 'unknown_command' : 'bad_request', result.message, {
        commandId: command.id,
      });
    }
    // What is stored (and audited) is the schema's output: fields it does not know are gone.
    const argsJson = canonicalJson(result.args);
    const bytes = argsJson.length * 3 > maxArgsBytes ? utf8.encode(argsJson).length : 0;
    if (bytes > maxArgsBytes) {
      // Args over the cap are not run and not stored: the command settles rejected (so it
      // cannot wedge its client's queue) and its record keeps a digest, which a resend matches.
      const digest = createHash('sha256').update(argsJson).digest('base64url');
      const marker = { omitted: `args over the ${maxArgsBytes}-byte limit`, bytes, sha256: digest };
      return {
        command: { ...command, args: marker },
        scope: result.scope,
        argsJson: canonicalJson(marker),
        resolved: result,
        oversized: `the args of ${command.name} are ${bytes} bytes, over the ${maxArgsBytes}-byte limit`,
      };
    }
    return { command: { ...command, args: result.args }, scope: result.scope, argsJson, resolved: result };
  });

  const bySeq = new Map<number, StoredResult>();
  const byId = new Map<string, StoredResult>();
  for (const stored of lookup.results) {
    if (stored.clientId === clientId) bySeq.set(stored.seq, stored);
    byId.set(stored.commandId, stored);
  }
  const planned: PlannedCommand[] = [];
  const newBySeq = new Map<number, number>();
  const newById = new Map<string, number>();
  let expected = (lookup.client?.lastSeq ?? 0) + 1;

  resolved.forEach(({ command, scope, argsJson, resolved: checked, ...rest }, index) => {
    const stored = bySeq.get(command.seq) ?? byId.get(command.id);
    if (stored) {
      const same =
        stored.clientId === clientId &&
        stored.seq === command.seq &&
        stored.commandId === command.id &&
        sameForm(app, stored, command.name, argsJson);
      if (!same) throw conflict(command, 'was already used for another command');
      planned.push({ kind: 'stored', command, stored });
      return;
    }
    const earlierIndex = newBySeq.get(command.seq) ?? newById.get(command.id);
    if (earlierIndex !== undefined) {
      const earlier = planned[earlierIndex];
      const same =
        earlier?.kind === 'new' &&
        earlier.command.id === command.id &&
        earlier.command.seq === command.seq &&
        earlier.command.name === command.name &&
        earlier.argsJson === argsJson;
      if (!same) throw conflict(command, 'appears twice in this push with different contents');
      planned.push({ kind: 'repeat', command, index: earlierIndex });
      return;
    }
    if (command.seq !== expected) {
      if (command.seq < expected) throw conflict(command, 'was already processed');
      if (lookup.client === null) {
        throw new WeftError('client_unknown', `the server has no record of client ${clientId}`, { expected });
      }
      throw new WeftError('seq_gap', `command seq ${command.seq} skips ahead; expected ${expected}`, { expected });
    }
    newBySeq.set(command.seq, index);
    newById.set(command.id, index);
    planned.push({ kind: 'new', command, scope, argsJson, resolved: checked, ...rest });
    expected++;
  });
  return planned;
}

const utf8 = new TextEncoder();

/**
 * Whether a stored command, under any earlier version, upcasts to this current form. Args
 * stored before they were stored as the schema's output are compared by that output.
 */
function sameForm(app: AnyApp, stored: StoredResult, name: string, argsJson: string): boolean {
  if (stored.name === name && stored.argsJson === argsJson) return true;
  const args: unknown = JSON.parse(stored.argsJson);
  if (stored.name === name) {
    const parsed = resolveCommand(app, name, args);
    if (parsed.ok && canonicalJson(parsed.args) === argsJson) return true;
  }
  if (app.version === 1) return false;
  for (let version = 1; version < app.version; version++) {
    const form = upcastCommand(app, { name: stored.name, args }, version);
    if (form.ok && form.name === name && canonicalJson(form.args) === argsJson) return true;
  }
  return false;
}

function conflict(command: PushCommand, why: string): WeftError {
  return new WeftError(
    'idempotency_conflict',
    `command ${command.id} (seq ${command.seq}) ${why}; a resend must repeat the same id, seq, name and args`,
    { commandId: command.id, seq: command.seq },
  );
}
