/**
 * What a call on a closed client rejects with (`code: 'closed'`): a query, a subscription, a
 * dismiss made after `close()`, or one still unanswered when `close()` ran. Commands reject
 * with a `CommandError` of the same code; a closed client's pending commands are not lost, they
 * stay in the outbox for the next session of the client.
 */
export class ClosedError extends Error {
  readonly code = 'closed';
  constructor(message = 'the client is closed') {
    super(message);
    this.name = 'ClosedError';
  }
}
