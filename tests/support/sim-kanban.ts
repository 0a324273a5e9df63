import {
  CALM,
  checkClientConverged,
  checkOptimistic,
  checkServer,
  commandsSeen,
  type NetworkFaults,
  readServer,
  type ServerView,
  type SimClient,
  Simulation,
  seedFromEnv,
} from '../../client/testing/sim/index.ts';
import { boardScope, type KanbanApp, kanban } from '../../demo/app.ts';
import { demoAuth } from '../../demo/auth.ts';
import { createServer } from '../../server/index.ts';
import { sqliteStore } from '../../server/sqlite.ts';
import type { SyncOptions } from '../../testing/index.ts';

/** The kanban workload the simulator tests share: one board, three columns, a few cards. */
export const SCOPE = boardScope('b');
export const CARDS = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
export const COLUMNS = ['todo', 'doing', 'done'];
const ADMIN = 'sim-admin';

export interface KanbanRun {
  readonly seed: number;
  readonly clients: number;
  readonly ops: number;
  readonly faults: NetworkFaults;
  /** The faults while healing (default: `faults` without losses). */
  readonly healFaults?: NetworkFaults;
  /** Virtual milliseconds between two operations, drawn in [min, max]. */
  readonly opGapMs?: readonly [number, number];
  readonly syncOptions?: Omit<SyncOptions, 'clock' | 'random'>;
  /** Called before each operation: partitions, crashes, arming crash points. */
  readonly chaos?: (sim: Simulation<KanbanApp>, op: number) => void | Promise<void>;
  /** Run the G7 check on every idle client every this many operations (default 100). */
  readonly checkEvery?: number;
  readonly keepLog?: boolean;
  /** Virtual time allowed for healing (G10's T). */
  readonly healMs?: number;
  /** Replaces the random operations with a script (F10). */
  readonly workload?: (sim: Simulation<KanbanApp>) => Promise<void>;
  /** Extra checks after the run's own, while the engines still run. */
  readonly inspect?: (sim: Simulation<KanbanApp>, server: ServerView) => string[] | Promise<string[]>;
}

export interface KanbanResult {
  readonly sim: Simulation<KanbanApp>;
  readonly server: ServerView;
  readonly problems: string[];
  readonly executed: number;
}

/** One simulated run: set up the board, run the workload under `chaos`, heal, quiesce, check. */
export async function runKanban(run: KanbanRun): Promise<KanbanResult> {
  const store = sqliteStore({ file: ':memory:' });
  let fetch: (request: Request) => Response | Promise<Response> = () => {
    throw new Error('the server is not up yet');
  };
  const sim = new Simulation<KanbanApp>({
    seed: run.seed,
    app: kanban,
    fetch: (request) => fetch(request),
    clients: run.clients,
    scopes: [SCOPE],
    faults: run.faults,
    syncOptions: run.syncOptions ?? { backoff: { baseMs: 20, maxMs: 500 }, maxBatch: 4 },
    keepLog: run.keepLog ?? false,
  });
  const server = createServer({
    app: kanban,
    store,
    auth: demoAuth({ adminToken: ADMIN }),
    now: () => sim.clock.now(),
    heartbeatMs: 1_000_000_000,
    limits: { requestsPerSecond: 1e9, requestBurst: 1e9, maxLiveConnectionsPerUser: 1e6 },
  });
  fetch = (request) => server.request(request);
  const problems: string[] = [];
  let executed = 0;
  try {
    await sim.start();
    const first = sim.clients[0] as SimClient<KanbanApp>;
    first.execute('createBoard', { boardId: 'b', title: 'B' });
    first.execute('addColumn', { boardId: 'b', columnId: 'todo', title: 'To do' });
    first.execute('addColumn', { boardId: 'b', columnId: 'doing', title: 'Doing', wipLimit: 2 });
    first.execute('addColumn', { boardId: 'b', columnId: 'done', title: 'Done', wipLimit: 1 });
    await sim.runUntil(
      () => sim.clients.every((c) => (c.shadow.events.get(SCOPE)?.length ?? 0) >= 4),
      'the board to reach every client',
      120_000,
    );

    const [gapMin, gapMax] = run.opGapMs ?? [0, 10];
    const checkEvery = run.checkEvery ?? 100;
    if (run.workload) await run.workload(sim);
    for (let op = 0; op < run.ops && !run.workload; op++) {
      await sim.runFor(sim.rng.int(gapMin, gapMax));
      await run.chaos?.(sim, op);
      await sim.settle();
      const client = sim.rng.pick(sim.clients);
      if (client.alive && randomCommand(sim, client)) executed++;
      if (op % checkEvery === 0) for (const c of sim.clients) problems.push(...checkOptimistic(kanban, c));
    }

    await heal(sim, run);
    const view = await readServer(fetch, ADMIN, [SCOPE]);
    const seen = commandsSeen(sim.network.delivered);
    const checked = checkServer(kanban, view, seen, sim.clients);
    problems.push(...checked.problems);
    for (const client of sim.clients) {
      problems.push(...checkOptimistic(kanban, client));
      problems.push(...(await checkClientConverged(kanban, client, view, checked.model)));
    }
    problems.push(...sim.errors.map((error) => `a scheduled action threw: ${String(error)}`));
    if (run.inspect) problems.push(...(await run.inspect(sim, view)));
    return { sim, server: view, problems, executed };
  } finally {
    for (const client of sim.clients) client.crash();
    sim.network.closeAll();
    await sim.settle();
    await store.close();
  }
}

/** Heals the network, reopens crashed clients, and runs until every client is at the server's head. */
async function heal(sim: Simulation<KanbanApp>, run: KanbanRun): Promise<void> {
  sim.record('heal');
  sim.network.faults = run.healFaults ?? { ...run.faults, dropRequest: 0, dropReply: 0, dropLive: 0 };
  for (const client of sim.clients) {
    client.armed = null;
    sim.network.setLink(client.name, true, true);
    if (!client.alive) await client.open();
    await sim.settle();
    client.engine?.setOnline(true);
  }
  const deadline = sim.clock.now() + (run.healMs ?? 120_000);
  for (;;) {
    const left = deadline - sim.clock.now();
    if (left <= 0) throw new Error(`G10: no quiescence within ${run.healMs ?? 120_000} virtual ms (seed ${sim.seed})`);
    await sim.runUntil(
      () =>
        sim.clients.every((c) => c.alive && c.writesIdle && c.engine?.pending().length === 0) &&
        new Set(sim.clients.map((c) => c.shadow.cursors.get(SCOPE) ?? 0)).size === 1,
      'the outboxes to drain and the clients to agree',
      left,
    );
    const head = (await readServer((r) => sim.options.fetch(r), ADMIN, [SCOPE])).streams.get(SCOPE)?.at(-1)?.seq ?? 0;
    if (sim.clients.every((c) => (c.shadow.cursors.get(SCOPE) ?? 0) === head)) return;
    await sim.runFor(Math.min(left, 500));
  }
}

/**
 * Executes one random kanban command on `client`, shaped by what the client sees (a card it
 * does not see is added, one it sees is moved, renamed or archived), so most commands run
 * locally and the conflicts come from other clients; false when it was refused locally.
 */
export function randomCommand(sim: Simulation<KanbanApp>, client: SimClient<KanbanApp>): boolean {
  const { rng } = sim;
  const engine = client.engine;
  if (!engine) return false;
  const cardId = rng.pick(CARDS);
  const boardId = 'b';
  const seen = engine.query({ table: 'cards', where: { cardId } } as never).length > 0;
  const roll = rng.int(0, 9);
  if (!seen || roll === 0)
    return client.execute('addCard', { boardId, cardId, columnId: rng.pick(COLUMNS), title: cardId }) !== null;
  if (roll <= 5) return client.execute('moveCard', { boardId, cardId, toColumnId: rng.pick(COLUMNS) }) !== null;
  if (roll <= 8) return client.execute('renameCard', { boardId, cardId, title: rng.pick(['a', 'b', 'c']) }) !== null;
  return client.execute('archiveCard', { boardId, cardId }) !== null;
}

/** The line every simulated test prints, so a failure can be replayed. */
export function announce(name: string, seed: number): void {
  console.log(`${name}: SIM_SEED=${seed} to replay`);
}

/** Fails with the seed and the first problems, so the report says how to replay. */
export function problemsOf(name: string, result: KanbanResult): string {
  const { seed } = result.sim;
  return result.problems.length === 0
    ? ''
    : `${name} failed (SIM_SEED=${seed} to replay): ${result.problems.slice(0, 10).join('; ')}`;
}

export { CALM };

/**
 * A faulty network as the simulator tests state it: `lost` is how often a request, a reply and
 * (unless `lostLive` says otherwise) a live frame is lost; `copied` how often a push or a live
 * frame arrives 2…`maxCopies` times.
 */
export function faultyNetwork(f: {
  readonly latency: readonly [number, number];
  readonly lost: number;
  readonly lostLive?: number;
  readonly copied: number;
  readonly maxCopies: number;
  readonly timeoutMs: number;
}): NetworkFaults {
  return {
    latency: f.latency,
    dropRequest: f.lost,
    dropReply: f.lost,
    duplicatePush: f.copied,
    dropLive: f.lostLive ?? f.lost,
    duplicateLive: f.copied,
    maxCopies: f.maxCopies,
    timeoutMs: f.timeoutMs,
  };
}

/**
 * The seeds of one test: `SIM_SEED` alone when set (a replay), else `runs` consecutive seeds
 * from a fresh base, each printed before it runs.
 */
export function seedsFor(runs: number): number[] {
  const fixed = process.env.SIM_SEED;
  if (fixed) return [seedFromEnv(process.env)];
  const base = seedFromEnv({});
  return Array.from({ length: runs }, (_, i) => (base + i) >>> 0);
}

/** A scale factor for longer runs (`SIM_SCALE=10`): the defaults fit the suite's time budget. */
export const SCALE = Math.max(1, Number(process.env.SIM_SCALE ?? 1));
