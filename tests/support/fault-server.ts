/**
 * A real weft server process for crash tests: the kanban app on a SQLite file, killed with
 * SIGKILL (no cleanup, no flush) the first time a push reaches `WEFT_FAULT`. Prints
 * `listening <port>` once it accepts connections.
 *
 * Usage: tsx tests/support/fault-server.ts <file> [port]
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { kanban } from '../../demo/app.ts';
import { demoAuth } from '../../demo/auth.ts';
import { createServer, FAULT_POINTS, type FaultPoint, sqliteStore } from '../../server/index.ts';

const [file, port = '0'] = process.argv.slice(2);
if (!file) throw new Error('usage: fault-server.ts <file> [port]');
const crashAt = (process.env.WEFT_FAULT || undefined) as FaultPoint | undefined;
if (crashAt !== undefined && !FAULT_POINTS.includes(crashAt)) throw new Error(`unknown fault point ${crashAt}`);

const store = sqliteStore({ file });
const app = createServer({
  app: kanban,
  store,
  auth: demoAuth({ adminToken: 'test-admin-token' }),
  faults: (point) => {
    if (point === crashAt) process.kill(process.pid, 'SIGKILL');
  },
});
const listener = serve({ fetch: app.fetch, port: Number(port), hostname: '127.0.0.1' }, () => {
  console.log(`listening ${(listener.address() as AddressInfo).port}`);
});
