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
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 1024 * 1024,
  maxBatch: 1000,
  maxDepth: 64,
  maxLiveScopes: 100,
};
