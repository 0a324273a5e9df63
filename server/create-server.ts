import { type Context, Hono } from 'hono';
import { type AnyApp, PROTOCOL_VERSION, protocol, WeftError } from '../shared/index.ts';
import type { Auth, Principal } from './auth.ts';
import { CLIENT_CLOSED_STATUS, ClientAbort } from './client-abort.ts';
import type { FaultHook } from './faults.ts';
import { KeyedLock } from './keyed-lock.ts';
import { DEFAULT_LIMITS, type Limits } from './limits.ts';
import { handleLive } from './live.ts';
import { LiveHub } from './live-hub.ts';
import { ServerMetrics } from './metrics.ts';
import { handlePush, type PushDeps } from './push.ts';
import { registerQuarantineGauge } from './quarantine-metrics.ts';
import { ConnectionSlots, RateLimiter } from './rate-limit.ts';
import { attachReactions } from './reactions/attach-reactions.ts';
import type { ReactionRunner } from './reactions/reaction-runner.ts';
import { isServerCommandId, REACTION_CLIENT_PREFIX } from './reactions/saga-commands.ts';
import { readJsonBody } from './read-json-body.ts';
import { handlePull, parseQuery, requireRight } from './routes-read.ts';
import { ScopeCache, type ScopeCacheOptions } from './scope-cache.ts';
import { handleSnapshot } from './snapshot.ts';
import type { EventStore } from './store/port.ts';
import { WEFT_VERSION } from './version.ts';

export interface ServerOptions {
  readonly app: AnyApp;
  readonly store: EventStore;
  readonly auth: Auth;
  readonly limits?: Partial<Limits>;
  /** Oldest app version a client may run; newer than `app.version` is refused as well. */
  readonly minAppVersion?: number;
  readonly cache?: ScopeCacheOptions;
  readonly heartbeatMs?: number;
  /** The server's clock, for audit timestamps; injected so tests are deterministic. */
  readonly now?: () => number;
  /** Who may read `GET /metrics`: only the admin (default), or anyone (behind a private network). */
  readonly publicMetrics?: boolean;
  /** Receives one structured entry per request; `jsonLines` prints them to stdout. */
  readonly log?: (entry: RequestLogEntry) => void;
  /** Test-only: called at each named fault point of the push pipeline (`faults.ts`). */
  readonly faults?: FaultHook;
  /** Event handlers and sagas run against this server's store and push pipeline (`reactions/`). */
  readonly reactions?: ReactionRunner;
  /**
   * The network address a request came from, which keys the throttle of failed
   * authentications. Defaults to the socket's peer address under `@hono/node-server`; behind a
   * trusted proxy, read its header here instead.
   */
  readonly clientAddress?: (c: Context) => string | undefined;
}

export interface RequestLogEntry {
  readonly time: string;
  readonly method: string;
  /** The path without the query string, which may carry cursors but never tokens. */
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  readonly user: string | null;
}

type Env = { Variables: { principal: Principal } };

/**
 * The weft server as a Hono app: `POST /v1/push`, `GET /v1/pull`, `GET /v1/snapshot`, `GET /v1/live`,
 * `GET /v1/audit`, `GET /v1/health`. Serve it with any Hono adapter.
 *
 * @example
 * const server = createServer({ app: kanban, store: sqliteStore({ file: 'data/weft.db' }), auth });
 * serve({ fetch: server.fetch, port: 8787 });
 */
export function createServer(options: ServerOptions): Hono<Env> {
  const { app, store, auth } = options;
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const hub = new LiveHub();
  const scopes = new ScopeCache(app, store, options.cache);
  // Another node's commits (a shared store): fan them out here, and drop the stale cached state.
  hub.follow(store, (scope) => scopes.invalidate(scope));
  const locks = new KeyedLock();
  const now = options.now ?? Date.now;
  const minAppVersion = options.minAppVersion ?? 0;
  const metrics = new ServerMetrics(() => hub.subscriberCount);
  registerQuarantineGauge(metrics.registry, () => scopes.quarantined());
  const rateLimiter = new RateLimiter(limits.requestsPerSecond, limits.requestBurst);
  const authFailures = new RateLimiter(limits.authFailuresPerSecond, limits.authFailureBurst);
  const clientAddress = options.clientAddress ?? socketAddress;
  const liveSlots = new ConnectionSlots(limits.maxLiveConnectionsPerUser);
  const allLiveSlots = new ConnectionSlots(limits.maxLiveStreams);
  const admitLive = (principal: Principal): (() => void) | 'user' | 'server' => {
    const releaseServer = allLiveSlots.take('all');
    if (!releaseServer) return 'server';
    const releaseUser = liveSlots.take(principal.userId);
    if (!releaseUser) {
      releaseServer();
      return 'user';
    }
    return () => {
      releaseUser();
      releaseServer();
    };
  };
  /**
   * Authenticates the request, throttling failures per address: once an address has spent its
   * failure burst it is answered 429 before its credentials are even checked, so tokens cannot
   * be guessed at speed.
   */
  const authenticate = async (c: Context): Promise<Principal> => {
    const address = clientAddress(c) ?? 'unknown';
    const wait = authFailures.wait(address);
    if (wait > 0) {
      c.header('retry-after', String(wait));
      throw new WeftError('rate_limited', 'too many failed authentications; retry later', { retryAfter: wait });
    }
    const principal = await auth.authenticate(c.req.raw);
    if (!principal) {
      authFailures.take(address);
      throw new WeftError('unauthorized', 'a valid bearer token is required');
    }
    return principal;
  };
  const server = new Hono<Env>();
  const pushDeps: PushDeps = {
    app,
    store,
    auth,
    scopes,
    hub,
    locks,
    now,
    metrics,
    fault: options.faults,
    maxEventBytes: limits.maxEventBytes,
    maxArgsBytes: limits.maxArgsBytes,
    sliceMs: limits.pushSliceMs,
  };

  server.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.req.routePath === '/*' ? 'other' : c.req.routePath;
    metrics.request(route, c.res.status);
    options.log?.({
      time: new Date().toISOString(),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 100) / 100,
      user: c.get('principal')?.userId ?? null,
    });
  });

  server.onError((error, c) => {
    if (error instanceof WeftError) return c.json(error.toBody(), error.status as 400);
    // Nobody reads this answer; the request log records it once, as the client's doing.
    if (error instanceof ClientAbort) return c.body(null, CLIENT_CLOSED_STATUS as 400);
    console.error('weft: internal error', error);
    return c.json(new WeftError('internal', 'internal server error').toBody(), 500);
  });
  server.notFound((c) => c.json(new WeftError('not_found', `no route ${c.req.method} ${c.req.path}`).toBody(), 404));

  server.get('/v1/health', (c) =>
    c.json({ ok: true, store: store.kind, version: WEFT_VERSION, protocol: PROTOCOL_VERSION }),
  );

  server.get('/metrics', async (c) => {
    if (!options.publicMetrics) {
      const principal = await authenticate(c);
      if (!principal.admin) throw new WeftError('forbidden', 'only the admin may read metrics');
    }
    return c.body(await metrics.text(), 200, { 'content-type': metrics.contentType });
  });

  server.use('/v1/*', async (c, next) => {
    const principal = await authenticate(c);
    c.set('principal', principal);
    const retryAfter = rateLimiter.take(principal.userId);
    if (retryAfter > 0) {
      c.header('retry-after', String(retryAfter));
      throw new WeftError('rate_limited', 'too many requests; retry later', { retryAfter });
    }
    await next();
  });

  server.post('/v1/push', async (c) => {
    const request = await readJsonBody(c, protocol.PushRequestSchema, limits, (body) => {
      const commands = (body as { commands?: unknown } | null)?.commands;
      if (Array.isArray(commands) && commands.length > limits.maxBatch) {
        throw new WeftError('payload_too_large', `at most ${limits.maxBatch} commands per push`, {
          limit: limits.maxBatch,
        });
      }
    });
    if (request.appVersion !== undefined && (request.appVersion > app.version || request.appVersion < minAppVersion)) {
      throw new WeftError('upgrade_required', `this server accepts app versions ${minAppVersion} to ${app.version}`, {
        supported: { min: minAppVersion, max: app.version },
      });
    }
    if (request.clientId.startsWith(REACTION_CLIENT_PREFIX))
      throw new WeftError('forbidden', `client ids starting with ${REACTION_CLIENT_PREFIX} belong to reactions`);
    const reserved = request.commands.find((command) => isServerCommandId(command.id));
    if (reserved) {
      throw new WeftError(
        'bad_request',
        `command ids starting with ${REACTION_CLIENT_PREFIX} are issued by the server`,
        {
          commandId: reserved.id,
        },
      );
    }
    const done = metrics.pushTimer();
    try {
      const results = await handlePush(pushDeps, c.get('principal'), request);
      options.reactions?.notify();
      return c.json({ results });
    } finally {
      done();
    }
  });

  server.get('/v1/pull', async (c) => c.json(await handlePull(c, store, auth, c.get('principal'))));

  server.get('/v1/snapshot', async (c) =>
    c.json(await handleSnapshot(c, { scopes, store, auth, locks }, c.get('principal'))),
  );

  server.get('/v1/live', (c) =>
    handleLive(
      c,
      {
        store,
        auth,
        hub,
        limits,
        options: { heartbeatMs: options.heartbeatMs ?? 15_000 },
        admit: admitLive,
      },
      c.get('principal'),
    ),
  );

  server.get('/v1/audit', async (c) => {
    const query = parseQuery(c, protocol.AuditQuerySchema);
    const principal = c.get('principal');
    if (!principal.admin) {
      if (query.scope === undefined)
        throw new WeftError('forbidden', 'only the admin may read audit records across scopes');
      await requireRight(auth, principal, 'audit', query.scope);
    }
    return c.json(await store.queryAudit(query));
  });

  if (options.reactions) attachReactions(server, options.reactions, { push: pushDeps, registry: metrics.registry });
  return server;
}

/** The peer address of the socket under `@hono/node-server` (its `incoming` binding), if any. */
function socketAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}
