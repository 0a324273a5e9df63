import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { createServer, sqliteStore } from '../server/index.ts';
import { kanban } from './app.ts';
import { demoAuth } from './auth.ts';

/**
 * `npm start`: the demo app on the embedded SQLite store, served on one port.
 * Flags win over the environment: --port (PORT, default 8787), --data (WEFT_DATA, default
 * ./data), --store (WEFT_STORE: `sqlite`, the default).
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
if (storeUrl !== 'sqlite') fail(`--store ${storeUrl} is not supported yet; use sqlite`);

const adminToken = process.env.WEFT_ADMIN_TOKEN ?? randomBytes(18).toString('base64url');
const file = path.join(dataDir, 'weft.db');
const store = sqliteStore({ file });
const server = createServer({ app: kanban, store, auth: demoAuth({ adminToken }) });
server.get('/', (c) =>
  c.text(
    [
      'weft server (demo app: kanban)',
      '',
      'POST /v1/push  GET /v1/pull  GET /v1/live  GET /v1/audit  GET /v1/health',
      'Authorization: Bearer demo:<your-name>',
    ].join('\n'),
  ),
);

const listener = serve({ fetch: server.fetch, port, hostname: host }, (info) => {
  console.log(`weft: listening on http://${host === '0.0.0.0' ? 'localhost' : host}:${info.port}`);
  console.log(`weft: store sqlite at ${file}`);
  if (!process.env.WEFT_ADMIN_TOKEN)
    console.log(`weft: admin token (set WEFT_ADMIN_TOKEN to choose one): ${adminToken}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    listener.close();
    void store.close().finally(() => process.exit(0));
  });
}

function fail(message: string): never {
  console.error(`weft: ${message}`);
  process.exit(2);
}
