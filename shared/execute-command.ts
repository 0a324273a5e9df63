import { applyEvent } from './apply-event.ts';
import type { AnyApp, CommandContext, EventSchemas, TableDefs } from './define-app.ts';
import { OverlayTables, type ScanReader } from './overlay-tables.ts';
import { edgeRow } from './query-model.ts';
import { validateSchema } from './standard-schema.ts';

/**
 * The command runtime shared by client and server: validate args, compute the scope, run the
 * handler against a scratch overlay of that scope's tables, validate every emitted event.
 * Pure: it reads only `readScope` and the record, and writes nothing but the returned overlay.
 * The same record against the same state always yields the same result.
 */
export interface CommandRecord {
  readonly id: string;
  readonly name: string;
  readonly args: unknown;
  /** Timestamp the client gave the command, ms since the epoch; it becomes `ctx.now`. */
  readonly at: number;
}

export interface EmittedEvent {
  readonly type: string;
  readonly data: unknown;
}

export type ExecuteResult =
  | {
      readonly ok: true;
      readonly scope: string;
      readonly events: ReadonlyArray<EmittedEvent>;
      /** The scope's tables after the command: its changes layered over the state it read. */
      readonly writes: OverlayTables;
    }
  | { readonly ok: false; readonly scope: string | null; readonly code: string; readonly message: string };

/** Codes the runtime itself rejects with; handlers choose their own (e.g. `WIP_LIMIT`). */
export const RUNTIME_CODES = {
  unknownCommand: 'unknown_command',
  invalidArgs: 'bad_request',
  invalidScope: 'bad_request',
  invalidEvent: 'invalid_event',
  handlerFailed: 'internal',
} as const;

export type ResolvedCommand =
  | { readonly ok: true; readonly scope: string; readonly args: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Validates a command's name and args and computes its scope, without running it. */
export function resolveCommand(app: AnyApp, name: string, args: unknown): ResolvedCommand {
  const def = Object.hasOwn(app.commands, name) ? app.commands[name] : undefined;
  if (!def) return { ok: false, code: RUNTIME_CODES.unknownCommand, message: `unknown command ${name}` };
  const parsed = validateSchema(def.args, args);
  if (!parsed.ok) {
    return { ok: false, code: RUNTIME_CODES.invalidArgs, message: `invalid args for ${name}: ${parsed.message}` };
  }
  const scope: unknown = def.scope(parsed.value);
  if (typeof scope !== 'string' || scope.length === 0 || scope.length > 256) {
    return { ok: false, code: RUNTIME_CODES.invalidScope, message: `${name} computed an invalid scope` };
  }
  return { ok: true, scope, args: parsed.value };
}

/**
 * Runs one command. `resolved` is this record's own `resolveCommand` answer when the caller has
 * already validated it (the server's push plan does, for every command before any runs), so
 * args are not validated twice; without it the record is resolved here.
 */
export function executeCommand(
  app: AnyApp,
  record: CommandRecord,
  readScope: (scope: string) => ScanReader,
  resolved: ResolvedCommand = resolveCommand(app, record.name, record.args),
): ExecuteResult {
  if (!resolved.ok) return { ...resolved, scope: null };
  const { scope, args } = resolved;
  const writes = new OverlayTables(app.tables, readScope(scope));
  const events: EmittedEvent[] = [];
  let nextId = 0;

  const ctx: CommandContext<EventSchemas, TableDefs> = {
    now: record.at,
    scope,
    commandId: record.id,
    id: () => `${record.id}.${(nextId++).toString(36)}`,
    get: (table, key) => writes.get(table, key),
    find: (table, where) => writes.find(table, where),
    query: (table, query) => writes.query(table, query),
    first: (table, query) => edgeRow(writes, app.tables, table, query, 'first'),
    last: (table, query) => edgeRow(writes, app.tables, table, query, 'last'),
    emit(type, data) {
      const schema = app.events[type];
      if (!schema) throw new InvalidEvent(`${record.name} emitted the unknown event type ${type}`);
      const checked = validateSchema(schema, data);
      if (!checked.ok) throw new InvalidEvent(`${record.name} emitted an invalid ${type}: ${checked.message}`);
      events.push({ type, data: checked.value });
      // Built whole, not spread from the one above: this runs once per event of every command.
      applyEvent(app, writes, { type, data: checked.value, scope, at: record.at, commandId: record.id });
    },
    reject(code, message) {
      throw new Rejection(String(code), String(message));
    },
  };

  try {
    app.commands[record.name]?.run(ctx, args);
  } catch (error) {
    if (error instanceof Rejection) return { ok: false, scope, code: error.code, message: error.message };
    if (error instanceof InvalidEvent)
      return { ok: false, scope, code: RUNTIME_CODES.invalidEvent, message: error.message };
    return {
      ok: false,
      scope,
      code: RUNTIME_CODES.handlerFailed,
      message: `${record.name} failed: ${describe(error)}`,
    };
  }
  return { ok: true, scope, events, writes };
}

class Rejection {
  readonly code: string;
  readonly message: string;
  constructor(code: string, message: string) {
    this.code = code;
    this.message = message;
  }
}

class InvalidEvent {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
