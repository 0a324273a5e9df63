/**
 * The error codes of the wire protocol (DESIGN §5) and the HTTP status each one travels with.
 * Expected outcomes (a command rejected by its handler) are returned as data, never thrown;
 * `WeftError` is for the edges: a request that cannot be served, a store that failed.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  unknown_command: 404,
  not_found: 404,
  seq_gap: 409,
  idempotency_conflict: 409,
  client_unknown: 409,
  cursor_ahead: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  upgrade_required: 426,
  rate_limited: 429,
  internal: 500,
  /** A server-wide cap (connections, live streams) is reached; retry after `Retry-After`. */
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Extra fields some errors carry, e.g. `expected` for `seq_gap`. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

export class WeftError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'WeftError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  /** The JSON body of DESIGN §5: `{ error: { code, message, ...details } }`. */
  toBody(): { error: { code: ErrorCode; message: string } & ErrorDetails } {
    return { error: { ...this.details, code: this.code, message: this.message } };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value);
}
