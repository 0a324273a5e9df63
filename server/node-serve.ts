import type { ServerOptions as HttpServerOptions, IncomingMessage, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type * as NodeServer from '@hono/node-server';
import { WeftError } from '../shared/index.ts';
import { DEFAULT_LIMITS, type Limits } from './limits.ts';
import { requirePeer } from './require-peer.ts';

const { serve } = requirePeer<typeof NodeServer>('@hono/node-server', 'weft/server/node');

/** Seconds a client turned away for want of capacity is asked to wait. */
const RETRY_AFTER_SECONDS = 5;
/** How long a connection over the cap may stay open to receive its 503 before it is dropped. */
const OVER_CAP_GRACE_MS = 2000;

type NodeLimits = Pick<Limits, 'maxConnections' | 'headersTimeoutMs' | 'requestTimeoutMs'>;

export interface ServeNodeOptions {
  /** The weft server's (or any Hono app's) fetch handler. */
  readonly fetch: (request: Request, env: { incoming: IncomingMessage }) => Response | Promise<Response>;
  readonly port?: number;
  readonly hostname?: string;
  /** The same limits as `createServer`'s; this reads `maxConnections`, `headersTimeoutMs` and `requestTimeoutMs`. */
  readonly limits?: Partial<Limits>;
}

/**
 * The settings of Node's HTTP server that bound slow clients: the time to send headers, and
 * to send the whole request (a slow body); both answered 408 and closed. Node checks them on
 * an interval, made short enough here to act within a fraction of the timeout.
 */
export function nodeServerOptions(limits: Partial<NodeLimits> = {}): HttpServerOptions {
  const { headersTimeoutMs, requestTimeoutMs } = { ...DEFAULT_LIMITS, ...limits };
  return {
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeoutMs / 4))),
  };
}

/**
 * Serves a weft server with `@hono/node-server` under server-wide caps (`npm start` uses it):
 * at most `maxConnections` open connections (a request on one more is answered 503 with
 * Retry-After and its connection closed; one that sends nothing is dropped), and the header and
 * request timeouts of `nodeServerOptions`. Without these, slow clients can hold every file
 * descriptor of the process.
 */
export function serveNode(options: ServeNodeOptions, listening?: (info: AddressInfo) => void): Server {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const overCap = new WeakSet<Socket>();
  let open = 0;
  const server = serve(
    {
      fetch: (request, env) => {
        const incoming = (env as { incoming: IncomingMessage }).incoming;
        if (overCap.has(incoming.socket)) return serverFull(limits.maxConnections);
        return options.fetch(request, env as { incoming: IncomingMessage });
      },
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
      serverOptions: nodeServerOptions(limits),
    },
    listening,
  ) as Server;
  server.on('connection', (socket: Socket) => {
    open++;
    socket.once('close', () => open--);
    if (open > limits.maxConnections) {
      overCap.add(socket);
      socket.setTimeout(OVER_CAP_GRACE_MS, () => socket.destroy());
    }
  });
  return server;
}

function serverFull(max: number): Response {
  const error = new WeftError('unavailable', `the server holds its most connections (${max}); retry later`, {
    retryAfter: RETRY_AFTER_SECONDS,
  });
  return Response.json(error.toBody(), {
    status: error.status,
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS), connection: 'close' },
  });
}
