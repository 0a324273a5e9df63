import type { Accepted } from '../client/api/index.ts';
import type { FeedBatch } from '../client/engine/index.ts';
import type { Port } from '../client/page/index.ts';
import { clientOn } from '../client/page/index.ts';
import { INITIAL_STATUS } from '../client/sync/index.ts';
import { kanban } from '../demo/app.ts';
import type { Row } from '../shared/index.ts';

/**
 * The page's own costs, in Node, with a leader that answers nothing (issue 16): a sequential
 * `await execute(…).applied` on the page's replica, and a follower page taking a leader's
 * 1,000-command burst from its row feed into an unlimited live query. Printed beside a floor:
 * an empty `await` loop (what `applied` cannot go below). Figures are the process's CPU time.
 * Run: npx tsx bench/page-replica.ts
 */
const SEQUENTIAL = 20_000;

/** This process's CPU time (ms): steadier than the wall clock on a shared machine. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
const BURST = 1_000;

function leader(rows: Row[]) {
  let feed: (batch: FeedBatch) => void = () => undefined;
  const engine: Port['engine'] = {
    submit: () => new Promise<Accepted>(() => undefined),
    feed(_scopes, listener) {
      feed = listener;
      queueMicrotask(() =>
        listener({
          reset: true,
          tables: [
            { scope: 'board:b1', table: 'boards', rows: [{ boardId: 'b1', title: 'B', createdAt: 0 }] },
            {
              scope: 'board:b1',
              table: 'columns',
              rows: Array.from({ length: 10 }, (_, c) => ({
                columnId: `col${c}`,
                boardId: 'b1',
                title: 'C',
                wipLimit: null,
                rank: `a${c}`,
              })),
            },
            { scope: 'board:b1', table: 'cards', rows },
            { scope: 'board:b1', table: 'descriptions', rows: [] },
          ],
          rows: [],
        }),
      );
      return () => undefined;
    },
    query: async () => [],
    subscribe: () => () => undefined,
    onStatus: () => () => undefined,
    onRejected: () => () => undefined,
    rejections: async () => [],
    dismiss: async () => undefined,
    setOnline: async () => undefined,
  };
  const port: Port = {
    initial: { ...INITIAL_STATUS, leader: false },
    scopes: ['board:b1'],
    engine,
    close: async () => undefined,
  };
  return { port, send: (batch: FeedBatch) => feed(batch) };
}

const card = (i: number, title = `card ${i}`): Row => ({
  cardId: `k${i}`,
  boardId: 'b1',
  columnId: 'col0',
  title,
  rank: `a${i.toString().padStart(6, '0')}`,
});

async function sequential(): Promise<number> {
  const { port } = leader([card(0)]);
  const client = clientOn(kanban, port);
  await client.loaded();
  const run = async (n: number) => {
    for (let i = 0; i < n; i++)
      await client.execute('renameCard', { boardId: 'b1', cardId: 'k0', title: `seq ${i}` }).applied;
  };
  await run(2000);
  const started = cpuMs();
  await run(SEQUENTIAL);
  return ((cpuMs() - started) * 1000) / SEQUENTIAL;
}

async function follower(perBatch: number): Promise<number> {
  const { port, send } = leader([card(0)]);
  const client = clientOn(kanban, port);
  await client.loaded();
  let seen = 0;
  client.subscribe({ table: 'cards', where: { boardId: 'b1' } }, (rows) => {
    seen = rows.length;
  });
  await new Promise((resolve) => setTimeout(resolve, 0));
  const started = cpuMs();
  for (let i = 1; i <= BURST; i += perBatch) {
    const rows = [];
    for (let j = i; j < i + perBatch && j <= BURST; j++)
      rows.push({ scope: 'board:b1', table: 'cards', key: `k${j}`, row: card(j) });
    send({ reset: false, tables: [], rows });
    await Promise.resolve();
  }
  await new Promise((resolve) => setTimeout(resolve, 0));
  const us = ((cpuMs() - started) * 1000) / BURST;
  if (seen !== BURST + 1) throw new Error(`follower saw ${seen}`);
  return us;
}

/** A leader page issuing a burst of `addCard`s over 10 columns, not awaiting each. */
async function burst(): Promise<number> {
  const { port } = leader([]);
  const client = clientOn(kanban, port);
  await client.loaded();
  const started = cpuMs();
  const runs = [];
  for (let i = 1; i <= BURST; i++)
    runs.push(
      client.execute('addCard', { boardId: 'b1', cardId: `k${i}`, columnId: `col${i % 10}`, title: `card ${i}` }),
    );
  await Promise.all(runs.map((run) => run.applied));
  return ((cpuMs() - started) * 1000) / BURST;
}

async function floor(): Promise<number> {
  const started = cpuMs();
  for (let i = 0; i < SEQUENTIAL; i++) await Promise.resolve();
  return ((cpuMs() - started) * 1000) / SEQUENTIAL;
}

const only = process.env.ONLY;
if (only === 'follower')
  for (let r = 0; r < 5; r++)
    console.log(`follower ${(await follower(Number(process.env.PER_BATCH ?? 1))).toFixed(1)} µs/event`);
if (only === 'burst') for (let r = 0; r < 5; r++) console.log(`burst ${(await burst()).toFixed(1)} µs/command`);
if (only === 'sequential') for (let r = 0; r < 3; r++) console.log(`sequential ${(await sequential()).toFixed(1)} µs`);
for (let r = 0; r < (only ? 0 : 3); r++) {
  const seq = await sequential();
  const f1 = await follower(1);
  const f50 = await follower(50);
  const b = await burst();
  const empty = await floor();
  console.log(
    `sequential applied ${seq.toFixed(1)} µs/command (floor: empty await ${empty.toFixed(2)} µs); follower ${f1.toFixed(1)} µs/event one per batch, ${f50.toFixed(1)} µs/event 50 per batch; leader burst ${b.toFixed(1)} µs/addCard`,
  );
}
