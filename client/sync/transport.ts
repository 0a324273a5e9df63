import type { LiveMessage, PullResponse, PushRequest, PushResponse, protocol } from '../../shared/index.ts';

/**
 * The client's transport port: the calls of the wire protocol (DESIGN §5). Adapters:
 * `httpTransport` (fetch + SSE) and `memoryTransport` (in-process, with fault injection).
 *
 * Contract, for every adapter:
 * - Expected failures are returned, never thrown: a network error or timeout is
 *   `{ kind: 'network' }`, an HTTP error answer is `{ kind: 'http' }` with the body's code,
 *   message and other fields (`details`, e.g. `expected` of `seq_gap`).
 * - Answers are validated against the protocol schemas before they are returned; an answer
 *   that does not validate is a `502 bad_response` failure.
 * - `live` delivers `events` messages in stream order and calls `closed` exactly once when the
 *   stream ends by itself (never after the returned function was called). It does not
 *   reconnect: the sync loop does, after a catch-up pull, with its own cursors and backoff.
 */
export interface Transport {
  push(request: PushRequest): Promise<TransportResult<PushResponse>>;
  /** Events of `scope` after `after`, at most `limit`. */
  pull(scope: string, after: number, limit: number): Promise<TransportResult<PullResponse>>;
  /**
   * The scope's projection rows at a seq (`GET /v1/snapshot`), `rows: null` when its head is
   * below `minHead`. Optional: without it, or against a server that answers `404`, a new
   * client pulls the scope's whole stream.
   */
  snapshot?(scope: string, minHead: number): Promise<TransportResult<protocol.SnapshotResponse>>;
  /** Opens the live stream from `cursors` (scope → last seq held); returns a function that closes it. */
  live(cursors: Readonly<Record<string, number>>, handlers: LiveHandlers): () => void;
}

export interface LiveHandlers {
  /** The server accepted the stream. */
  open(): void;
  message(message: LiveMessage): void;
  /** The stream ended: `null` when the server closed it, else why. */
  closed(failure: TransportFailure | null): void;
}

export type TransportFailure =
  | { readonly kind: 'network'; readonly message: string }
  | {
      readonly kind: 'http';
      readonly status: number;
      readonly code: string;
      readonly message: string;
      readonly details: Readonly<Record<string, unknown>>;
    };

export type TransportResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: TransportFailure };

/** What the sync loop does about a failure. */
export type FailureAction =
  /** Transient (network, 5xx, 429, auth that may be renewed): retry with backoff. */
  | 'retry'
  /** The server expects another command seq: renumber the unanswered commands. */
  | 'seq_gap'
  | 'client_unknown'
  /** A cursor or base seq is past the server's head: re-bootstrap the scope. */
  | 'cursor_ahead'
  /** This client's version is not accepted: stop pushing until upgraded. */
  | 'upgrade'
  /** The request itself is bad and will stay bad: find the culprit command and settle it. */
  | 'permanent';

export function failureAction(failure: TransportFailure): FailureAction {
  if (failure.kind === 'network') return 'retry';
  const { status, code } = failure;
  if (status === 426 || code === 'upgrade_required') return 'upgrade';
  if (code === 'seq_gap' || code === 'client_unknown' || code === 'cursor_ahead') return code;
  if (status === 401 || status === 403 || status === 408 || status === 429 || status >= 500) return 'retry';
  // Only a refusal the weft server explains is permanent: a bare 404 from a misrouted proxy
  // must not make the client settle its whole outbox as rejected.
  if (status >= 400 && !code.startsWith('http_')) return 'permanent';
  return 'retry';
}

export function describeFailure(failure: TransportFailure): { code: string; message: string } {
  return failure.kind === 'network'
    ? { code: 'network', message: failure.message }
    : { code: failure.code, message: failure.message };
}

/**
 * `request`'s answer, or a network failure as soon as `halted` settles: a stopping sync loop
 * never waits out a request timeout (a server that stopped answering would hold `close()` for
 * it). The request itself runs on; its outcome is not applied, and what it carried stays in the
 * outbox for the next session, which the server deduplicates by command id.
 */
export function untilStopped<T>(
  request: Promise<TransportResult<T>>,
  halted: Promise<void>,
): Promise<TransportResult<T>> {
  return Promise.race([request, halted.then((): TransportResult<T> => ({ ok: false, failure: STOPPED }))]);
}

const STOPPED: TransportFailure = { kind: 'network', message: 'the sync loop stopped' };
