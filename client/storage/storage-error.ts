/**
 * How a storage failure is told apart, once, at the edge (CONVENTIONS §11). Dexie wraps the
 * platform's DOMException (`inner`, or `failures` of a bulk operation), so the cause is found
 * by walking those; the codes are what status and rejected commands carry.
 */

/** `storage_full`: the origin's quota is used up. `storage_failed`: any other storage failure. */
export type StorageErrorCode = 'storage_full' | 'storage_failed';

/** A storage error as status and a rejected command report it. */
export function describeStorageError(error: unknown): { code: StorageErrorCode; message: string } {
  const names = errorNames(error);
  return {
    code: names.has('QuotaExceededError') ? 'storage_full' : 'storage_failed',
    message: error instanceof Error ? error.message : String(error),
  };
}

/**
 * The browser dropped the database connection under us: "The database connection is closing"
 * (`InvalidStateError`), WebKit's "Connection to Indexed Database server lost" (`UnknownError`),
 * or Dexie saw the connection close (`DatabaseClosedError`). Reopening may cure these.
 */
export function isConnectionLost(error: unknown): boolean {
  const names = errorNames(error);
  return names.has('InvalidStateError') || names.has('UnknownError') || names.has('DatabaseClosedError');
}

/** The names of an error and of every error it wraps. */
function errorNames(error: unknown, names = new Set<string>(), depth = 0): Set<string> {
  if (typeof error !== 'object' || error === null || depth > 5) return names;
  const { name, inner, failures, cause } = error as {
    name?: unknown;
    inner?: unknown;
    failures?: unknown;
    cause?: unknown;
  };
  if (typeof name === 'string') names.add(name);
  for (const wrapped of [inner, cause]) errorNames(wrapped, names, depth + 1);
  if (failures && typeof failures === 'object') {
    for (const failure of Object.values(failures)) errorNames(failure, names, depth + 1);
  }
  return names;
}
