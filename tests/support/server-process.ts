import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { kanban } from '../../demo/app.ts';
import { demoAuth } from '../../demo/auth.ts';
import { createServer, type EventStore, type ServerOptions } from '../../server/index.ts';
import { sqliteStore } from '../../server/sqlite.ts';

export const ADMIN_TOKEN = 'test-admin-token';

export interface RunningServer {
  readonly url: string;
  readonly store: EventStore;
  readonly file: string;
  /** Stops listening and closes the store. */
  stop(): Promise<void>;
}

/** A temp folder for one test file's SQLite databases, removed by `dispose`. */
export function tempDir(prefix = 'weft-test-'): { dir: string; dispose(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The kanban server on a real SQLite file, listening on a loopback port. */
export async function startServer(
  file: string,
  overrides: Partial<Omit<ServerOptions, 'store'>> = {},
): Promise<RunningServer> {
  const store = sqliteStore({ file });
  const app = createServer({ app: kanban, store, auth: demoAuth({ adminToken: ADMIN_TOKEN }), ...overrides });
  const listener = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(server));
  });
  const { port } = listener.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    file,
    async stop() {
      // Live streams hold connections open; end them so close() can finish.
      (listener as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      await store.close();
    },
  };
}
