import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullResponse } from '../shared/index.ts';
import { api } from './support/http.ts';
import { seedBoard } from './support/kanban.ts';
import { type RunningServer, startServer, tempDir } from './support/server-process.ts';
import { openLive } from './support/sse.ts';

/** TEST-PLAN X10/X11 and G15: per-user rate limits and the event size cap, configurable. */
let server: RunningServer;
const temp = tempDir();
beforeAll(async () => {
  server = await startServer(`${temp.dir}/limits.db`, {
    limits: { requestsPerSecond: 1, requestBurst: 12, maxEventBytes: 300, maxLiveConnectionsPerUser: 2 },
  });
});
afterAll(async () => {
  await server.stop();
  temp.dispose();
});

describe('limits', () => {
  it('answers 429 with Retry-After once a user spends its burst, and other users are unaffected', async () => {
    const spoofing = (i: number) =>
      fetch(`${server.url}/v1/pull?scope=board%3Arl&after=0`, {
        headers: { authorization: 'Bearer demo:flood', 'x-forwarded-for': `10.0.0.${i}` },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) statuses.push((await spoofing(i)).status);
    expect(statuses.slice(0, 12).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(12).every((s) => s === 429)).toBe(true);
    const limited = await spoofing(99);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    const other = await api(server.url, 'demo:calm').get<PullResponse>('/v1/pull?scope=board%3Arl&after=0');
    expect(other.status).toBe(200);
  });

  it('rejects a command whose event is over the size limit, stores nothing of it, and lets the next one run', async () => {
    const board = await seedBoard(server.url, 'big', 'big-1', 'big');
    const add = board.commands.next('addCard', { boardId: 'big', cardId: 'k', columnId: board.todo, title: 'ok' });
    // 100 characters pass the title's schema, but as 300 bytes of UTF-8 the event is over the cap.
    const tooBig = board.commands.next('renameCard', { boardId: 'big', cardId: 'k', title: '€'.repeat(100) });
    const next = board.commands.next('addCard', { boardId: 'big', cardId: 'k2', columnId: board.todo, title: 'ok' });
    const res = await board.client.push({ clientId: 'big-1', commands: [add, tooBig, next] });
    expect(res.status).toBe(200);
    expect(res.json.results.map((r) => r.code ?? r.status)).toEqual(['applied', 'payload_too_large', 'applied']);
    const events = (await server.store.readEvents(board.scope, 0, 100)).events;
    expect(events.map((e) => e.type)).toEqual(['boardCreated', 'columnAdded', 'columnAdded', 'cardAdded', 'cardAdded']);
    expect(events.map((e) => e.commandId)).not.toContain(tooBig.id);
  });

  it('caps open live streams per user with 429, and frees a slot when a stream closes', async () => {
    await seedBoard(server.url, 'watcher', 'watch-1', 'watch');
    const first = await openLive(server.url, 'demo:watcher', ['board:watch:0']);
    const second = await openLive(server.url, 'demo:watcher', ['board:watch:0']);
    const third = await openLive(server.url, 'demo:watcher', ['board:watch:0']);
    expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
    const other = await openLive(server.url, 'demo:other-watcher', ['board:watch:0']);
    expect(other.status).toBe(200);
    await first.close();
    let fourth = await openLive(server.url, 'demo:watcher', ['board:watch:0']);
    for (let i = 0; fourth.status !== 200 && i < 50; i++) {
      // The server notices the closed stream a moment after the client drops it.
      await new Promise((resolve) => setTimeout(resolve, 20));
      fourth = await openLive(server.url, 'demo:watcher', ['board:watch:0']);
    }
    expect(fourth.status).toBe(200);
    await Promise.all([second.close(), third.close(), other.close(), fourth.close()]);
  });
});
