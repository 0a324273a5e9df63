/** Input limits of every route, each configurable (DESIGN §5). */
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
  /** Sustained requests per second per user, and the burst above it (429 with Retry-After). */
  readonly requestsPerSecond: number;
  readonly requestBurst: number;
  /** Open live streams per user; one more is answered 429. */
  readonly maxLiveConnectionsPerUser: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 1024 * 1024,
  maxBatch: 1000,
  maxDepth: 64,
  maxLiveScopes: 100,
  maxEventBytes: 64 * 1024,
  requestsPerSecond: 200,
  requestBurst: 400,
  maxLiveConnectionsPerUser: 32,
};
