/**
 * Named fault points of the push pipeline (TEST-PLAN §2.1). Production servers pass no hook, so
 * each point costs one `undefined` check; tests pass one that throws, stalls or kills the
 * process at a point to prove that a crash between any two steps leaves all or nothing.
 */
export const FAULT_POINTS = [
  /** The client record is read and every written scope is authorized; nothing has run. */
  'push.afterAuthorize',
  /** Every new command has run and its events are validated; nothing is stored. */
  'push.afterRun',
  /** The commit is about to be sent to the store. */
  'push.beforeCommit',
  /** The store has committed; no subscriber has heard and no reply has left. */
  'push.afterCommit',
  /** Live subscribers have been told; the reply has not left. */
  'push.afterFanout',
] as const;

export type FaultPoint = (typeof FAULT_POINTS)[number];

/** Called at each fault point; whatever it throws fails the request as a crash would. */
export type FaultHook = (point: FaultPoint) => void | Promise<void>;
