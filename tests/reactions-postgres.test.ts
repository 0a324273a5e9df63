import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { describe, expect, it } from 'vitest';
import { kanban } from '../demo/app.ts';
import { demoAuth } from '../demo/auth.ts';
import { createReactionRunner, createServer, defineReaction, type ReactionRunner } from '../server/index.ts';
import { postgresCheckpoints, postgresStore } from '../server/postgres.ts';
import type { WireEvent } from '../shared/index.ts';
import { seedBoard } from './support/kanban.ts';
import { postgresForFile } from './support/postgres-for-file.ts';
import { ADMIN_TOKEN } from './support/server-process.ts';

/**
 * Reactions on several nodes sharing one PostgreSQL database: the checkpoint lives in the
 * database, and a lease lets one node at a time run each reaction, so a mail is not sent once
 * per node. When the node holding the lease dies, another takes over from the shared
 * checkpoint.
 */
const pg = postgresForFile();

interface Node {
  readonly name: string;
  readonly url: string;
  readonly runner: ReactionRunner;
  stop(): Promise<void>;
}

async function startNode(name: string, url: string, seen: Array<{ node: string; event: WireEvent }>): Promise<Node> {
  const store = await postgresStore({ connectionString: url });
  const recorder = defineReaction({
    name: 'recorder',
    async handle(events) {
      for (const event of events) seen.push({ node: name, event });
    },
  });
  const runner = createReactionRunner({
    reactions: [recorder],
    checkpoints: postgresCheckpoints({ connectionString: url }),
    pollMs: 50,
    onError: () => {},
  });
  const app = createServer({ app: kanban, store, auth: demoAuth({ adminToken: ADMIN_TOKEN }), reactions: runner });
  const listener = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(server));
  });
  return {
    name,
    url: `http://127.0.0.1:${(listener.address() as AddressInfo).port}`,
    runner,
    async stop() {
      (listener as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      await runner.stop();
      await store.close();
    },
  };
}

async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const stateOf = async (node: Node) => (await node.runner.status()).find((s) => s.name === 'recorder')?.state;

describe('reactions on PostgreSQL, two nodes', () => {
  it('runs each reaction on one node at a time, and the other takes over from the shared checkpoint', async () => {
    const url = await pg.createDatabase('reactions_lease');
    const seen: Array<{ node: string; event: WireEvent }> = [];
    const a = await startNode('a', url, seen);
    const b = await startNode('b', url, seen);
    let stoppedA = false;
    try {
      await until(async () => {
        const states = [await stateOf(a), await stateOf(b)];
        return states.includes('standby') && states.some((s) => s === 'idle' || s === 'delivering');
      }, 'one node to lead and the other to stand by');
      const leader = (await stateOf(a)) === 'standby' ? b : a;
      const follower = leader === a ? b : a;

      // Pushes go to both nodes; only the leader's runner delivers.
      const board = await seedBoard(follower.url, 'ann', 'c1', 'b1');
      const cards = Array.from({ length: 20 }, (_, i) =>
        board.commands.next('addCard', { boardId: 'b1', cardId: `k${i}`, columnId: board.todo, title: `card ${i}` }),
      );
      expect((await board.client.push({ clientId: 'c1', commands: cards.slice(0, 10) })).status).toBe(200);
      const second = await fetch(`${leader.url}/v1/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer demo:ann' },
        body: JSON.stringify({ clientId: 'c1', commands: cards.slice(10) }),
      });
      expect(second.status).toBe(200);
      const total = 3 + 20; // board, two columns, twenty cards
      await until(() => new Set(seen.map((s) => s.event.seq)).size === total, 'the leader to see every event');
      expect(new Set(seen.map((s) => s.node))).toEqual(new Set([leader.name]));
      expect(seen.map((s) => s.event.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(await stateOf(follower)).toBe('standby');

      await until(async () => {
        const status = (await leader.runner.status()).find((s) => s.name === 'recorder');
        return status?.state === 'idle' && status.lag === 0;
      }, 'the leader to save its checkpoint');

      // The leader goes away: its lease connection closes and the follower takes over.
      await leader.stop();
      if (leader === a) stoppedA = true;
      await until(async () => (await stateOf(follower)) === 'idle', 'the follower to take the lease');
      const more = Array.from({ length: 5 }, (_, i) =>
        board.commands.next('addCard', { boardId: 'b1', cardId: `m${i}`, columnId: board.todo, title: `more ${i}` }),
      );
      const third = await fetch(`${follower.url}/v1/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer demo:ann' },
        body: JSON.stringify({ clientId: 'c1', commands: more }),
      });
      expect(third.status).toBe(200);
      await until(
        () => new Set(seen.map((s) => s.event.seq)).size === total + 5,
        'the new leader to see the new events',
      );
      // It resumed from the shared checkpoint: nothing the old leader had finished came again.
      const byFollower = seen.filter((s) => s.node === follower.name).map((s) => s.event.seq);
      expect(byFollower).toEqual(Array.from({ length: 5 }, (_, i) => total + i + 1));
      const status = (await follower.runner.status()).find((s) => s.name === 'recorder');
      expect(status?.lag).toBe(0);
    } finally {
      if (!stoppedA) await a.stop().catch(() => undefined);
      await b.stop().catch(() => undefined);
    }
  }, 90_000);
});
