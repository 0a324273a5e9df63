import type { PushCommand } from '../../shared/index.ts';
import type { PendingCommand } from './outbox.ts';

/**
 * The next push: the oldest unanswered durable commands, in seq order, at most `limit` of them
 * and about `maxBytes` of JSON (always at least one, so an oversized command still reaches
 * the server and is refused on its own instead of blocking the queue).
 */
export function takePushBatch(
  unanswered: Iterable<PendingCommand>,
  cursorOf: (scope: string) => number,
  limit: number,
  maxBytes: number,
): PushCommand[] {
  const batch: PushCommand[] = [];
  let bytes = 64; // the envelope: clientId, appVersion, brackets
  for (const command of unanswered) {
    if (batch.length >= limit) break;
    const { id, seq, name, args, at, digest } = command;
    // After a re-bootstrap the server's head may be below what the command first saw.
    const wire = { id, seq, name, args, at, baseSeq: Math.min(command.baseSeq, cursorOf(command.scope)), digest };
    const size = utf8Length(JSON.stringify(wire)) + 1;
    if (batch.length > 0 && bytes + size > maxBytes) break;
    bytes += size;
    batch.push(wire);
  }
  return batch;
}

function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Two bytes below U+0800, three above; a surrogate pair (4 bytes) is two units of 2.
    if (code >= 0x80) bytes += code >= 0x800 && (code < 0xd800 || code > 0xdfff) ? 2 : 1;
  }
  return bytes;
}
