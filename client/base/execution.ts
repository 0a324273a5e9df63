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
