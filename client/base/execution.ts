import type { CommandUpdate } from './command-update.ts';
import { deferred } from './deferred.ts';

/** `execute`'s answer: the command's id and the three moments of its life (DESIGN §2). */
export interface Execution {
  readonly id: string;
  /** Its effect is visible to queries (or it was rejected locally, and never will be). */
  readonly applied: Promise<void>;
  /** Its outbox row committed: it survives a crash. */
  readonly durable: Promise<void>;
  /** The server settled it; rejects with a `CommandError` when rejected. */
  readonly confirmed: Promise<void>;
}

/** `submit`'s answer, as plain data. */
export type Submitted =
  | { readonly ok: true; readonly id: string; readonly seq: number }
  | { readonly ok: false; readonly id: string; readonly code: string; readonly message: string };

/** A command's rejection, locally or by the server, e.g. `code: 'WIP_LIMIT'`. */
export class CommandError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
  }
}

/**
 * Turns the plain-data form (`submit` and its listener) into promises. A main-thread facade
 * over a worker does the same with the updates it receives.
 */
export function toExecution(submit: (listener: (update: CommandUpdate) => void) => Submitted): Execution {
  const stages = laterStages();
  const submitted = submit(stages.update);
  if (submitted.ok) {
    return { id: submitted.id, applied: Promise.resolve(), durable: stages.durable, confirmed: stages.confirmed };
  }
  const error = new CommandError(submitted.code, submitted.message);
  return {
    id: submitted.id,
    applied: Promise.reject(error),
    durable: handled(Promise.reject(error)),
    confirmed: handled(Promise.reject(error)),
  };
}

/**
 * `durable` and `confirmed` of one command, settled by the updates given to `update` (a
 * `rejected` update rejects both; `durable` stays resolved when it came first).
 */
export function laterStages(): {
  readonly durable: Promise<void>;
  readonly confirmed: Promise<void>;
  readonly update: (update: CommandUpdate) => void;
} {
  const durable = deferred();
  const confirmed = deferred();
  return {
    durable: handled(durable.promise),
    confirmed: handled(confirmed.promise),
    update: (update) => {
      if (update.stage === 'durable') durable.resolve();
      else if (update.stage === 'confirmed') confirmed.resolve();
      else {
        const error = new CommandError(update.code, update.message);
        durable.reject(error); // no-op when already durable
        confirmed.reject(error);
      }
    },
  };
}

/**
 * Marks a promise's rejection as seen, so an app that awaits only `applied` (or only
 * `confirmed`) gets no unhandled-rejection noise from the others; awaiting it still throws.
 * Rejections also reach `onRejected` and the inbox, which is where apps are told.
 */
function handled(promise: Promise<void>): Promise<void> {
  promise.catch(() => undefined);
  return promise;
}

/** The server's limit on a push body; a command whose args alone exceed it could never be sent. */
const MAX_ARGS_BYTES = 1024 * 1024 - 8192;

/**
 * The args as the server will see them: JSON. Running the JSON form locally too keeps the two
 * runs alike (a `Date` or an `undefined` field would otherwise differ).
 */
export function argsAsJson(args: unknown): { ok: true; value: unknown } | { ok: false; code: string; message: string } {
  try {
    const plain = plainJsonCopy(args);
    if (plain !== undefined) return plain;
    const text = JSON.stringify(args);
    if (text === undefined) return { ok: true, value: undefined };
    if (text.length * 3 > MAX_ARGS_BYTES && new TextEncoder().encode(text).length > MAX_ARGS_BYTES) {
      return { ok: false, code: 'payload_too_large', message: 'the args are larger than a push may carry' };
    }
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, code: 'bad_request', message: `the args are not JSON: ${String(error)}` };
  }
}

/** Nesting beyond this takes the `JSON.stringify` path (which also reports a cycle). */
const MAX_PLAIN_DEPTH = 64;
/** Returned by `copyPlain` for a value the JSON round trip would change (or cannot tell). */
const NOT_PLAIN = Symbol('not plain');

/**
 * `{ ok: true, value }` with a copy of `args` equal to `JSON.parse(JSON.stringify(args))`,
 * when `args` is plain JSON already (plain objects and arrays, strings, finite numbers,
 * booleans, null) and surely within the size limit; `undefined` when anything would change in
 * the round trip (a `Date`, an `undefined` field, `NaN`, a hole, a `__proto__` key) or the
 * size is close: the caller takes the exact path then. One walk, no text built and parsed:
 * `execute`'s own cost (issue 16). Also tells the caller the args are plain data.
 */
export function plainJsonCopy(args: unknown): { ok: true; value: unknown } | undefined {
  const budget = { chars: 0 };
  const value = copyPlain(args, 0, budget);
  if (value === NOT_PLAIN || budget.chars * 3 > MAX_ARGS_BYTES) return undefined;
  return { ok: true, value };
}

function copyPlain(value: unknown, depth: number, budget: { chars: number }): unknown {
  switch (typeof value) {
    case 'string':
      budget.chars += 2 + 6 * value.length; // at most: every character escaped as \uXXXX
      return value;
    case 'number':
      if (!Number.isFinite(value) || Object.is(value, -0)) return NOT_PLAIN;
      budget.chars += 25;
      return value;
    case 'boolean':
      budget.chars += 5;
      return value;
    case 'object': {
      budget.chars += 4;
      if (value === null) return null;
      if (depth >= MAX_PLAIN_DEPTH || 'toJSON' in value) return NOT_PLAIN;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return NOT_PLAIN;
        const out: unknown[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) return NOT_PLAIN;
          const item = copyPlain(value[i], depth + 1, budget);
          if (item === NOT_PLAIN) return NOT_PLAIN;
          out[i] = item;
        }
        return out;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        if (key === '__proto__') return NOT_PLAIN;
        const item = copyPlain((value as Record<string, unknown>)[key], depth + 1, budget);
        if (item === NOT_PLAIN) return NOT_PLAIN;
        budget.chars += 4 + 6 * key.length;
        out[key] = item;
      }
      return out;
    }
    default:
      return NOT_PLAIN; // undefined, a function, a symbol, a bigint
  }
}
