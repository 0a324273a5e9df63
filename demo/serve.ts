import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { createServer, type EventStore } from '../server/index.ts';
import { postgresStore } from '../server/postgres.ts';
import { sqliteStore } from '../server/sqlite.ts';
import { kanban } from './app.ts';
import { demoAuth } from './auth.ts';
import { demoReactions } from './reactions.ts';
import { serveDemo } from './static.ts';

/**
 * `npm start`: the demo app on the embedded SQLite store, served on one port.
 * Flags win over the environment: --port (PORT, default 8787), --data (WEFT_DATA, default
 * ./data), --store (WEFT_STORE: `sqlite`, the default, or a `postgres://` URL, which lets several
 * nodes share one database).
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    data: { type: 'string' },
    store: { type: 'string' },
    host: { type: 'string' },
  },
});
const port = Number(values.port ?? process.env.PORT ?? 8787);
const dataDir = path.resolve(values.data ?? process.env.WEFT_DATA ?? './data');
const storeUrl = values.store ?? process.env.WEFT_STORE ?? 'sqlite';
const host = values.host ?? process.env.HOST ?? '127.0.0.1';
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`--port must be a port number, not ${values.port ?? process.env.PORT}`);
const usePostgres = /^postgres(ql)?:\/\//u.test(storeUrl);
if (storeUrl !== 'sqlite' && !usePostgres) fail(`--store must be sqlite or a postgres:// URL, not ${storeUrl}`);

const adminToken = process.env.WEFT_ADMIN_TOKEN ?? randomBytes(18).toString('base64url');
const file = path.join(dataDir, 'weft.db');
const store: EventStore = usePostgres
  ? await postgresStore({ connectionString: storeUrl }).catch((error: unknown) =>
      fail(`cannot open PostgreSQL: ${error instanceof Error ? error.message : String(error)}`),
    )
  : sqliteStore({ file });
const storeText = usePostgres ? `postgres at ${redact(storeUrl)}` : `sqlite at ${file}`;
const server = createServer({
  app: kanban,
  store,
  auth: demoAuth({ adminToken }),
  reactions: demoReactions(usePostgres ? { postgresUrl: storeUrl } : { sqliteFile: file }),
});
serveDemo(server);

const listener = serve({ fetch: server.fetch, port, hostname: host }, (info) => {
  console.log(`weft: listening on http://${host === '0.0.0.0' ? 'localhost' : host}:${info.port}`);
  console.log(`weft: store ${storeText}`);
  if (!process.env.WEFT_ADMIN_TOKEN)
    console.log(`weft: admin token (set WEFT_ADMIN_TOKEN to choose one): ${adminToken}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    listener.close();
    void store.close().finally(() => process.exit(0));
  });
}

/** The URL without its password, for the log. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

function fail(message: string): never {
  console.error(`weft: ${message}`);
  process.exit(2);
}
