/**
 * The plumbing every layer of the client shares: deferreds, error reporting, backoff and clocks,
 * the command stages and the `Execution` an `execute` returns.
 * Other folders of client/ import this folder only through this file (biome.json).
 */
export { type BackoffOptions, backoffDelay, type Clock, DEFAULT_BACKOFF, systemClock, Waker } from './backoff.ts';
export { ClosedError } from './closed-error.ts';
export type { CommandState, CommandUpdate } from './command-update.ts';
export { deferred } from './deferred.ts';
export {
  argsAsJson,
  CommandError,
  type Execution,
  laterStages,
  plainJsonCopy,
  type Submitted,
  toExecution,
} from './execution.ts';
export { reportError } from './report-error.ts';
