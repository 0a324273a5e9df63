/** One dispatched server-sent event. */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
}

/**
 * An incremental parser of the `text/event-stream` format (WHATWG HTML §9.2.6), fed text
 * chunks as they arrive, split anywhere. Comments (`:` lines, used as heartbeats) and the `id`
 * and `retry` fields are skipped: weft resumes from its own cursors, not `Last-Event-ID`.
 *
 * @example
 * const parser = new SseParser();
 * for (const message of parser.push('event: events\ndata: {}\n\n')) handle(message);
 */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  /** How much of the buffer holds no line end: a long line split over chunks is scanned once. */
  #scanned = 0;
  #afterCr = false;

  /** Parses a chunk; returns the messages it completed. */
  push(chunk: string): SseMessage[] {
    // A CRLF split between two chunks: the CR already ended the line.
    this.#buffer += this.#afterCr && chunk.startsWith('\n') ? chunk.slice(1) : chunk;
    this.#afterCr = false;
    const messages: SseMessage[] = [];
    let start = 0;
    let from = this.#scanned;
    for (;;) {
      const end = lineEnd(this.#buffer, from);
      if (end === -1) {
        this.#scanned = this.#buffer.length - start;
        break;
      }
      const line = this.#buffer.slice(start, end);
      if (this.#buffer.startsWith('\r\n', end)) start = end + 2;
      else {
        start = end + 1;
        this.#afterCr = this.#buffer[end] === '\r' && start === this.#buffer.length;
      }
      from = start;
      this.#scanned = 0;
      const message = this.#line(line);
      if (message) messages.push(message);
    }
    this.#buffer = this.#buffer.slice(start);
    return messages;
  }

  #line(line: string): SseMessage | null {
    if (line === '') {
      const message = this.#data.length > 0 ? { event: this.#event || 'message', data: this.#data.join('\n') } : null;
      this.#event = '';
      this.#data = [];
      return message;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    return null;
  }
}

function lineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10 || ch === 13) return i;
  }
  return -1;
}
