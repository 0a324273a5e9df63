import type { AnyApp } from '../../shared/index.ts';
import { Engine, type EngineOptions } from '../engine/index.ts';
import type { ClientStorage } from '../storage/index.ts';
import { memoryStorage } from '../storage/index.ts';
import { MemoryTransport } from '../sync/index.ts';
import { FakeServer } from './fake-server.ts';
import { todo } from './todo-app.ts';

/** Fast retries for tests: real timers, but a backoff of a few milliseconds. */
export const FAST_SYNC = { backoff: { baseMs: 2, maxMs: 20 } } as const;

/** One client of `server`: its engine, transport and storage (pass `storage` again to reload). */
export async function openClient<A extends AnyApp = typeof todo>(
  server: { handle: (request: Request) => Promise<Response> },
  options: Partial<EngineOptions<A>> & { storage?: ClientStorage; transport?: MemoryTransport } = {},
) {
  const app = (options.app ?? todo) as A;
  const storage = options.storage ?? memoryStorage({ tables: app.tables });
  const transport = options.transport ?? new MemoryTransport(server.handle);
  const engine = await Engine.open<A>({
    scopes: ['list:a'],
    syncOptions: FAST_SYNC,
    ...options,
    app,
    storage,
    transport,
  });
  return { engine, storage, transport };
}

export function fakeServer(): FakeServer {
  return new FakeServer(todo);
}

/** Polls `condition` until it holds (the sync loop runs on real, short timers). */
export async function until(condition: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
