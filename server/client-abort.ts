/**
 * The client went away while its request body was being read: its own doing, not the
 * server's. Answered (to nobody) with the nginx-style status 499, logged once by the request
 * log, never as an internal error with a stack trace.
 */
export class ClientAbort extends Error {
  constructor(cause: unknown) {
    super('the client closed the request before its body arrived', { cause });
    this.name = 'ClientAbort';
  }
}

/** The nginx-style status of a request its client closed. */
export const CLIENT_CLOSED_STATUS = 499;
