import { afterAll, describe, expect, it } from 'vitest';
import { archivedCardId, archiveLog } from '../demo/reactions.ts';
import {
  type CheckpointStore,
  createReactionRunner,
  defineReaction,
  type Reaction,
  type ReactionClock,
  type ReactionRunner,
} from '../server/index.ts';
import { sqliteCheckpoints } from '../server/sqlite.ts';
import type { AuditResponse, PullResponse, PushResult, WireEvent } from '../shared/index.ts';
import { api, commandFactory } from './support/http.ts';
import { seedBoard } from './support/kanban.ts';
import { ADMIN_TOKEN, type RunningServer, startServer, tempDir } from './support/server-process.ts';
import { openLive } from './support/sse.ts';

const temp = tempDir('weft-reactions-');
afterAll(() => temp.dispose());

/** A server with `reactions` on `file`, checkpoints in the same SQLite file. */
async function start(
  file: string,
  reactions: Reaction[],
  extra: Partial<Parameters<typeof createReactionRunner>[0]> = {},
) {
  const checkpoints = sqliteCheckpoints({ file });
  const runner = createReactionRunner({ reactions, checkpoints, pollMs: 50, onError: () => {}, ...extra });
  const server = await startServer(file, { reactions: runner });
  return { server, runner, checkpoints };
}

/** Stops cleanly: runner first (waits for handlers), then the server. */
async function stopAll(s: { server: RunningServer; runner: ReactionRunner }) {
  await s.runner.stop();
  await s.server.stop();
}

/** A crash: the server goes away with a handler still in flight; nothing more is saved. */
async function crash(s: { server: RunningServer; checkpoints: CheckpointStore }) {
  await s.server.stop();
  await s.checkpoints.close();
}

async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const caughtUp = (runner: ReactionRunner, name: string) => async () =>
  (await runner.status()).some((s) => s.name === name && s.lag === 0 && s.state === 'idle');

/** Every event the audit log says was appended, in commit order. */
async function feedOrder(server: RunningServer): Promise<string[]> {
  const { records } = await server.store.queryAudit({ limit: 1000 });
  return records.flatMap((r) => r.eventSeqs.map((seq) => `${r.scope}#${seq}`));
}

const never = () => new Promise<never>(() => {});

describe('reactions: delivery', () => {
  it('sees every event in commit order across a restart and a crash mid-batch (at least once, no gaps)', async () => {
    const file = `${temp.dir}/order.db`;
    const firstSeen: string[] = [];
    const seen = new Set<string>();
    let deliveries = 0;
    let crashOn: string | null = null;
    const recorder = defineReaction({
      name: 'recorder',
      batchSize: 7,
      async handle(events) {
        for (const [i, e] of events.entries()) {
          const key = `${e.scope}#${e.seq}`;
          if (key === crashOn && i > 0) {
            crashOn = null;
            return never(); // the process "dies" here, half-way through the batch
          }
          deliveries++;
          if (!seen.has(key)) {
            seen.add(key);
            firstSeen.push(key);
          }
        }
      },
    });

    const pushCards = async (
      url: string,
      user: string,
      clientId: string,
      boardId: string,
      n: number,
      together = false,
    ) => {
      const board = await seedBoard(url, user, clientId, boardId);
      const cmds = Array.from({ length: n }, (_, i) =>
        board.commands.next('addCard', { boardId, cardId: `${boardId}-c${i}`, columnId: board.todo, title: `c${i}` }),
      );
      if (together) expect((await board.client.push({ clientId, commands: cmds })).status).toBe(200);
      else for (const cmd of cmds) expect((await board.client.push({ clientId, commands: [cmd] })).status).toBe(200);
      return board;
    };

    // 1. a clean run, then a clean restart
    let s = await start(file, [recorder]);
    await Promise.all([
      pushCards(s.server.url, 'ann', 'ann-1', 'o1', 10),
      pushCards(s.server.url, 'bob', 'bob-1', 'o2', 10),
    ]);
    await until(caughtUp(s.runner, 'recorder'), 'first catch-up');
    expect(firstSeen).toEqual(await feedOrder(s.server));
    await stopAll(s);

    // 2. after the restart, a crash in the middle of a batch
    s = await start(file, [recorder]);
    const before = deliveries;
    // one push of 12 cards: seqs 4..15 arrive as batches of 7 events; seq 8 is in the middle of one
    crashOn = 'board:o3#8';
    await pushCards(s.server.url, 'cat', 'cat-1', 'o3', 12, true);
    await until(() => crashOn === null, 'the crash');
    await crash(s);
    const beforeRestart = deliveries;

    // 3. restart from the durable checkpoint: the crashed batch is delivered again
    s = await start(file, [recorder]);
    await pushCards(s.server.url, 'dan', 'dan-1', 'o4', 5);
    await until(caughtUp(s.runner, 'recorder'), 'catch-up after the crash');
    const order = await feedOrder(s.server);
    expect(firstSeen).toEqual(order); // no gap, no reordering
    expect(deliveries).toBeGreaterThan(before + (order.length - firstSeen.length)); // sanity
    expect(deliveries - beforeRestart).toBeGreaterThan(order.length - seen.size); // re-delivered some
    expect(deliveries).toBeGreaterThan(seen.size); // at least once: something came twice
    await stopAll(s);
  });

  it('retries a failing handler with exponential backoff while pushes and other reactions go on', async () => {
    const file = `${temp.dir}/retry.db`;
    const delays: number[] = [];
    const clock: ReactionClock = {
      now: Date.now,
      sleep: (ms) => {
        delays.push(ms);
        return new Promise((resolve) => setTimeout(resolve, 30));
      },
    };
    let failing = true;
    const got: string[] = [];
    const healthyGot: string[] = [];
    const flaky = defineReaction({
      name: 'flaky',
      events: ['cardAdded'],
      handle(events) {
        if (failing) throw new Error('mail server down');
        for (const e of events) got.push((e.data as { cardId: string }).cardId);
      },
    });
    const healthy = defineReaction({
      name: 'healthy',
      events: ['cardAdded'],
      handle(events) {
        for (const e of events) healthyGot.push((e.data as { cardId: string }).cardId);
      },
    });
    const s = await start(file, [flaky, healthy], { clock, maxAttempts: 100, backoff: { baseMs: 100, maxMs: 800 } });
    const board = await seedBoard(s.server.url, 'ann', 'ann-1', 'r1');
    const add = (cardId: string) =>
      board.client.push({
        clientId: 'ann-1',
        commands: [board.commands.next('addCard', { boardId: 'r1', cardId, columnId: board.todo, title: cardId })],
      });
    expect((await add('k1')).status).toBe(200);
    await until(() => delays.length >= 3, 'three retries');
    // pushes are unaffected, and so is the other reaction
    for (const id of ['k2', 'k3']) expect((await add(id)).status).toBe(200);
    await until(() => healthyGot.length === 3, 'the healthy reaction');
    const admin = api(s.server.url, ADMIN_TOKEN);
    const status = await admin.get<{ reactions: Array<Record<string, unknown>> }>('/v1/reactions');
    expect(status.status).toBe(200);
    const flakyStatus = status.json.reactions.find((r) => r.name === 'flaky');
    expect(flakyStatus).toMatchObject({ lastError: { message: 'mail server down' }, parked: 0 });
    expect(flakyStatus?.failures).toBeGreaterThanOrEqual(3);
    expect(flakyStatus?.lag).toBeGreaterThan(0);
    await until(() => delays.length >= 5, 'five retries');
    expect(delays.slice(0, 5)).toEqual([100, 200, 400, 800, 800]);
    failing = false;
    await until(() => got.length === 3, 'recovery');
    expect(got).toEqual(['k1', 'k2', 'k3']);
    await stopAll(s);
  });

  it('parks an event after N failures, moves on, and re-delivers it on resume', async () => {
    const file = `${temp.dir}/park.db`;
    let cured = false;
    const got: string[] = [];
    const picky = defineReaction({
      name: 'picky',
      events: ['cardAdded'],
      maxAttempts: 3,
      handle(events) {
        for (const e of events) {
          const { cardId } = e.data as { cardId: string };
          if (cardId === 'poison' && !cured) throw new Error(`cannot handle ${cardId}`);
          got.push(cardId);
        }
      },
    });
    const clock: ReactionClock = { now: Date.now, sleep: () => new Promise((resolve) => setTimeout(resolve, 5)) };
    let s = await start(file, [picky], { clock });
    const board = await seedBoard(s.server.url, 'ann', 'ann-1', 'p1');
    const commands = ['a', 'poison', 'b'].map((cardId) =>
      board.commands.next('addCard', { boardId: 'p1', cardId, columnId: board.todo, title: cardId }),
    );
    expect((await board.client.push({ clientId: 'ann-1', commands })).status).toBe(200);
    await until(() => got.includes('b'), 'moving past the parked event');
    expect([...new Set(got)]).toEqual(['a', 'b']); // 'a' may come twice: the first batch failed after it
    const admin = api(s.server.url, ADMIN_TOKEN);
    type Status = { reactions: Array<{ name: string; parked: number; parkedEvents: Array<{ events: WireEvent[] }> }> };
    const listed = (await admin.get<Status>('/v1/reactions')).json.reactions[0];
    expect(listed?.parked).toBe(1);
    expect(listed?.parkedEvents[0]?.events.map((e) => (e.data as { cardId: string }).cardId)).toEqual(['poison']);

    // parked entries are durable: they survive a restart
    await stopAll(s);
    s = await start(file, [picky], { clock });
    const again = api(s.server.url, ADMIN_TOKEN);
    expect((await again.get<Status>('/v1/reactions')).json.reactions[0]?.parked).toBe(1);
    const delivered = got.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(got.length).toBe(delivered); // nothing re-delivered: the checkpoint moved past it

    // only the admin may resume; bad and unknown names are answered
    const ann = api(s.server.url, 'demo:ann');
    expect((await ann.raw('/v1/reactions/picky/resume', { method: 'POST' })).status).toBe(403);
    expect((await ann.get('/v1/reactions')).status).toBe(403);
    const unknown = await again.raw('/v1/reactions/nope/resume', { method: 'POST' });
    expect([unknown.status, ((await unknown.json()) as { error: { code: string } }).error.code]).toEqual([
      404,
      'not_found',
    ]);
    expect((await again.raw('/v1/reactions/%24bad/resume', { method: 'POST' })).status).toBe(400);

    cured = true;
    const resumed = await again.raw('/v1/reactions/picky/resume', { method: 'POST' });
    expect(await resumed.json()).toEqual({ reaction: 'picky', resumed: 1 });
    await until(() => got.includes('poison'), 'the resumed event');
    await until(async () => (await s.runner.status())[0]?.parked === 0, 'unparking');
    expect(await s.runner.parked('picky')).toEqual([]);
    await stopAll(s);
  });
});

describe('reactions: sagas', () => {
  it('applies a follow-up command exactly once when the saga crashes after pushing, and streams it live', async () => {
    const file = `${temp.dir}/saga.db`;
    let crashNext = true;
    const crashing = defineReaction({
      ...archiveLog,
      async handle(events, ctx) {
        await archiveLog.handle(events, ctx);
        if (crashNext) {
          crashNext = false;
          return never(); // pushed, not yet checkpointed
        }
      },
    });
    let s = await start(file, [crashing]);
    const live = await openLive(s.server.url, 'demo:eve', ['board:archive:0']);
    expect(live.status).toBe(200);
    const board = await seedBoard(s.server.url, 'ann', 'ann-1', 's1');
    const add = board.commands.next('addCard', { boardId: 's1', cardId: 'x', columnId: board.todo, title: 'X' });
    const archive = board.commands.next('archiveCard', { boardId: 's1', cardId: 'x' });
    expect((await board.client.push({ clientId: 'ann-1', commands: [add, archive] })).status).toBe(200);
    await live.until((m) => m.some((msg) => msg.events.some((e) => e.type === 'cardAdded')));
    const cause = (await s.server.store.readEvents(board.scope, 0, 100)).events.find((e) => e.type === 'cardArchived');
    expect(cause).toBeDefined();
    await live.close();
    await crash(s);

    const resent: PushResult[] = [];
    const watching = defineReaction({
      ...archiveLog,
      handle: (events, ctx) =>
        archiveLog.handle(events, {
          ...ctx,
          command: async (cause, name, args) => {
            const result = await ctx.command(cause, name, args);
            resent.push(result);
            return result;
          },
        }),
    });
    s = await start(file, [watching]);
    await until(caughtUp(s.runner, 'archiveLog'), 'the saga to catch up');
    // re-delivered after the crash, the saga's command was answered from the stored outcome
    expect(resent).toEqual([expect.objectContaining({ duplicate: true, status: 'applied' })]);
    const ann = api(s.server.url, 'demo:ann');
    const pulled = (await ann.get<PullResponse>('/v1/pull?scope=board%3Aarchive')).json;
    const added = pulled.events.filter((e) => e.type === 'cardAdded');
    expect(added.map((e) => (e.data as { cardId: string }).cardId)).toEqual([archivedCardId(cause as WireEvent)]);
    expect(pulled.events.map((e) => e.type)).toEqual(['boardCreated', 'columnAdded', 'cardAdded']);
    expect(added[0]?.clientId).toBe('reaction:archiveLog');
    // the re-delivery was answered as duplicates, not applied again
    const admin = api(s.server.url, ADMIN_TOKEN);
    const audit = (await admin.get<AuditResponse>('/v1/audit?client=reaction%3AarchiveLog')).json.records;
    expect(audit.map((r) => [r.name, r.outcome])).toEqual([
      ['createBoard', 'clean'],
      ['addColumn', 'clean'],
      ['addCard', 'clean'],
    ]);

    // a second archive reuses the board and adds one more card
    const add2 = board.commands.next('addCard', { boardId: 's1', cardId: 'y', columnId: board.todo, title: 'Y' });
    const archive2 = board.commands.next('archiveCard', { boardId: 's1', cardId: 'y' });
    expect((await ann.push({ clientId: 'ann-1', commands: [add2, archive2] })).status).toBe(200);
    await until(
      async () =>
        (await ann.get<PullResponse>('/v1/pull?scope=board%3Aarchive')).json.events.filter(
          (e) => e.type === 'cardAdded',
        ).length === 2,
      'the second archive card',
    );
    await stopAll(s);
  });

  it('refuses HTTP clients that claim a reaction client id', async () => {
    const s = await start(`${temp.dir}/claim.db`, []);
    const commands = commandFactory('reaction:archiveLog');
    const res = await api(s.server.url, 'demo:mallory').push({
      clientId: 'reaction:archiveLog',
      commands: [commands.next('createBoard', { boardId: 'm', title: 'M' })],
    });
    expect([res.status, res.json.error?.code]).toEqual([403, 'forbidden']);
    await stopAll(s);
  });
});
