/**
 * One weft server node on a shared PostgreSQL database, for the multi-node tests and bench: the
 * kanban app, SIGKILLed (no cleanup) the first time a push reaches `WEFT_FAULT` when that is set.
 * Prints `listening <port>` once it accepts connections.
 *
 * Usage: tsx tests/support/postgres-node.ts <postgres-url> [port]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { kanban } from '../../demo/app.ts';
import { demoAuth } from '../../demo/auth.ts';
import { createServer, FAULT_POINTS, type FaultPoint, postgresStore } from '../../server/index.ts';

export interface NodeChild {
  readonly url: string;
  readonly child: ChildProcess;
  readonly exited: Promise<NodeJS.Signals | number | null>;
  stop(): Promise<void>;
}

/** Starts this file as its own Node process on `storeUrl`, optionally set to SIGKILL itself at `fault`. */
export async function startPostgresNode(storeUrl: string, options: { fault?: FaultPoint } = {}): Promise<NodeChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), storeUrl, '0'], {
    env: { ...process.env, WEFT_FAULT: options.fault ?? '', WEFT_NODE_MAIN: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/u.exec(out);
      if (match) resolve(Number(match[1]));
    });
    void exited.then((how) => reject(new Error(`node exited before listening (${String(how)})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

if (process.env.WEFT_NODE_MAIN === '1') {
  const [storeUrl, port = '0'] = process.argv.slice(2);
  if (!storeUrl) throw new Error('usage: postgres-node.ts <postgres-url> [port]');
  const crashAt = (process.env.WEFT_FAULT || undefined) as FaultPoint | undefined;
  if (crashAt !== undefined && !FAULT_POINTS.includes(crashAt)) throw new Error(`unknown fault point ${crashAt}`);
  const store = await postgresStore({ connectionString: storeUrl, maxConnections: 20 });
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
}
