/** Input and capacity limits of every route, each configurable (DESIGN §5, README "Limits"). */
export interface Limits {
  /** Largest request body in bytes (413). */
  readonly maxBodyBytes: number;
  /** Most commands in one push (413). */
  readonly maxBatch: number;
  /** Deepest JSON nesting (400). */
  readonly maxDepth: number;
  /** Most scopes one live connection may follow. */
  readonly maxLiveScopes: number;
  /** Largest event a command may emit, in bytes of JSON; a bigger one rejects the command (`payload_too_large`). */
  readonly maxEventBytes: number;
  /**
   * Largest args of one command as stored (the schema's output, as JSON), in bytes; a command
   * with bigger ones settles rejected (`payload_too_large`) without running, and its record
   * keeps their size and digest only. Bounds each audit record.
   */
  readonly maxArgsBytes: number;
  /** Sustained requests per second per user, and the burst above it (429 with Retry-After). */
  readonly requestsPerSecond: number;
  readonly requestBurst: number;
  /**
   * Failed authentications per second per network address, and the burst above it: past
   * them, that address is answered 429 with Retry-After before its credentials are checked.
   */
  readonly authFailuresPerSecond: number;
  readonly authFailureBurst: number;
  /** Open live streams per user; one more is answered 429. */
  readonly maxLiveConnectionsPerUser: number;
  /** Open live streams on this server, all users together; one more is answered 503 with Retry-After. */
  readonly maxLiveStreams: number;
  /**
   * CPU time in milliseconds a push runs its commands before it lets other requests in
   * (it resumes after them), so no request waits long behind another's push.
   */
  readonly pushSliceMs: number;
  /** Open TCP connections (`limitNodeServer`); one more is answered 503 with Retry-After and closed. */
  readonly maxConnections: number;
  /** Time a client has to send the request headers, in ms (`limitNodeServer`; 408 after). */
  readonly headersTimeoutMs: number;
  /** Time a client has to send the whole request, body included, in ms (`limitNodeServer`; 408 after). */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 1024 * 1024,
  maxBatch: 1000,
  maxDepth: 64,
  maxLiveScopes: 100,
  maxEventBytes: 64 * 1024,
  maxArgsBytes: 64 * 1024,
  requestsPerSecond: 200,
  requestBurst: 400,
  authFailuresPerSecond: 2,
  authFailureBurst: 20,
  maxLiveConnectionsPerUser: 32,
  maxLiveStreams: 5_000,
  pushSliceMs: 10,
  maxConnections: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
};
