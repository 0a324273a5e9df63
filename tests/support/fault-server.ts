/**
 * A real weft server process for crash and multi-node tests: the kanban app on a SQLite file
 * or a shared PostgreSQL database (a `postgres://` URL), killed with SIGKILL (no cleanup, no
 * flush) the first time a push reaches `WEFT_FAULT`. The rate limit is lifted: the tests and
 * benchmarks that use it are the only load. Prints `listening <port>` once it accepts
 * connections.
 *
 * Usage: tsx tests/support/fault-server.ts <sqlite-file | postgres-url> [port]
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { kanban } from '../../demo/app.ts';
import { demoAuth } from '../../demo/auth.ts';
import { createServer } from '../../server/index.ts';
import { postgresStore } from '../../server/postgres.ts';
import { sqliteStore } from '../../server/sqlite.ts';
import { FAULT_POINTS, type FaultPoint } from '../../testing/index.ts';

const [where, port = '0'] = process.argv.slice(2);
if (!where) throw new Error('usage: fault-server.ts <sqlite-file | postgres-url> [port]');
const crashAt = (process.env.WEFT_FAULT || undefined) as FaultPoint | undefined;
if (crashAt !== undefined && !FAULT_POINTS.includes(crashAt)) throw new Error(`unknown fault point ${crashAt}`);

const store = /^postgres(ql)?:\/\//u.test(where)
  ? await postgresStore({ connectionString: where, maxConnections: 20 })
  : sqliteStore({ file: where });
const app = createServer({
  app: kanban,
  store,
  auth: demoAuth({ adminToken: 'test-admin-token' }),
  limits: { requestsPerSecond: 1e9, requestBurst: 1e9 },
  heartbeatMs: 1000,
  faults: (point) => {
    if (point === crashAt) process.kill(process.pid, 'SIGKILL');
  },
});
const listener = serve({ fetch: app.fetch, port: Number(port), hostname: '127.0.0.1' }, () => {
  console.log(`listening ${(listener.address() as AddressInfo).port}`);
});
