import * as v from 'valibot';
import { PROTOCOL_HEADER, PROTOCOL_VERSION, protocol } from '../../shared/index.ts';
import { SseParser } from './sse-parser.ts';
import type { LiveHandlers, Transport, TransportFailure, TransportResult } from './transport.ts';

export interface HttpTransportOptions {
  /** The server's base URL, e.g. `https://sync.example.com` (the `/v1/…` paths are appended). */
  readonly url: string;
  /** The bearer token, or a function that returns the current one (called before each request). */
  readonly auth?: string | (() => string | Promise<string>);
  /** Defaults to the global `fetch`; tests pass a Hono app's `app.request`. */
  readonly fetch?: (input: Request) => Response | Promise<Response>;
  /**
   * How long a push or pull may take before it counts as a network failure and is retried
   * (default 30 s), so a server that stalls mid-request never wedges the outbox.
   */
  readonly timeoutMs?: number;
}

/**
 * The wire protocol of DESIGN §5 over `fetch`. The live stream is read with `fetch` too (not
 * `EventSource`), so it can carry the `Authorization` header.
 *
 * @example
 * const transport = httpTransport({ url: 'https://sync.example.com', auth: 'demo:alice' });
 */
export function httpTransport(options: HttpTransportOptions): Transport {
  const base = options.url.replace(/\/+$/u, '');
  const send = options.fetch ?? ((request: Request) => fetch(request));

  async function request(path: string, init: RequestInit = {}): Promise<Response | TransportFailure> {
    const headers = new Headers(init.headers);
    headers.set(PROTOCOL_HEADER, String(PROTOCOL_VERSION));
    try {
      const token = typeof options.auth === 'function' ? await options.auth() : options.auth;
      if (token) headers.set('authorization', `Bearer ${token}`);
      return await send(new Request(`${base}${path}`, { ...init, headers }));
    } catch (error) {
      return { kind: 'network', message: error instanceof Error ? error.message : String(error) };
    }
  }

  async function call<S extends v.GenericSchema>(
    schema: S,
    path: string,
    init?: RequestInit,
  ): Promise<TransportResult<v.InferOutput<S>>> {
    const response = await request(path, { ...init, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
    if (isFailure(response)) return { ok: false, failure: response };
    if (!response.ok) return { ok: false, failure: await errorOf(response) };
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      return { ok: false, failure: networkOrBadResponse(error) };
    }
    const parsed = v.safeParse(schema, body);
    if (!parsed.success) return { ok: false, failure: badResponse(v.summarize(parsed.issues)) };
    return { ok: true, value: parsed.output };
  }

  return {
    push: (body) =>
      call(protocol.PushResponseSchema, '/v1/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),

    pull: (scope, after, limit) => {
      const query = new URLSearchParams({ scope, after: String(after), limit: String(limit) });
      return call(protocol.PullResponseSchema, `/v1/pull?${query}`);
    },

    snapshot: (scope, minHead) => {
      const query = new URLSearchParams({ scope, minHead: String(minHead) });
      return call(protocol.SnapshotResponseSchema, `/v1/snapshot?${query}`);
    },

    live(cursors, handlers) {
      const query = new URLSearchParams(Object.entries(cursors).map(([scope, seq]) => ['scope', `${scope}:${seq}`]));
      const abort = new AbortController();
      // `closed` is called once, and never after the caller closed the stream itself.
      const end = (failure: TransportFailure | null) => {
        if (abort.signal.aborted) return;
        abort.abort();
        handlers.closed(failure);
      };
      const follow = async () => {
        const response = await request(`/v1/live?${query}`, {
          headers: { accept: 'text/event-stream' },
          signal: abort.signal,
        });
        if (abort.signal.aborted) return;
        if (isFailure(response)) return end(response);
        if (!response.ok || !response.body) return end(await errorOf(response));
        handlers.open();
        end(await readStream(response.body, handlers, abort.signal));
      };
      follow().catch((error: unknown) => end(networkOrBadResponse(error)));
      return () => abort.abort();
    },
  };
}

/** Reads SSE messages until the stream ends; returns why it ended (null: the server closed it). */
async function readStream(
  body: ReadableStream<Uint8Array>,
  handlers: LiveHandlers,
  signal: AbortSignal,
): Promise<TransportFailure | null> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  const cancel = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal.aborted) return null;
      if (done) return null;
      for (const message of parser.push(decoder.decode(value, { stream: true }))) {
        if (message.event !== 'events') continue; // heartbeats and future message kinds
        let data: unknown;
        try {
          data = JSON.parse(message.data);
        } catch {
          return badResponse('a live message is not JSON');
        }
        const parsed = v.safeParse(protocol.LiveMessageSchema, data);
        if (!parsed.success) return badResponse(`a live message is malformed: ${v.summarize(parsed.issues)}`);
        handlers.message(parsed.output);
        if (signal.aborted) return null;
      }
    }
  } catch (error) {
    return signal.aborted ? null : networkOrBadResponse(error);
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

async function errorOf(response: Response): Promise<TransportFailure> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page): the status alone decides.
  }
  const parsed = v.safeParse(protocol.ErrorBodySchema, body);
  if (!parsed.success) {
    return {
      kind: 'http',
      status: response.status,
      code: `http_${response.status}`,
      message: response.statusText,
      details: {},
    };
  }
  const { code, message, ...details } = parsed.output.error;
  return { kind: 'http', status: response.status, code, message, details };
}

/**
 * Tells a failure from a response without `instanceof Response`: a `fetch` may come from
 * another realm or library (undici's, while `@hono/node-server` replaced the global
 * `Response` in the same process), and its responses are still responses.
 */
function isFailure(value: Response | TransportFailure): value is TransportFailure {
  return 'kind' in value && (value.kind === 'network' || value.kind === 'http') && !('headers' in value);
}

function badResponse(message: string): TransportFailure {
  return { kind: 'http', status: 502, code: 'bad_response', message, details: {} };
}

function networkOrBadResponse(error: unknown): TransportFailure {
  const message = error instanceof Error ? error.message : String(error);
  return error instanceof SyntaxError ? badResponse(message) : { kind: 'network', message };
}
