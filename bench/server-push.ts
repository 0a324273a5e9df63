import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { serve } from '@hono/node-server';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { kanban } from '../demo/app.ts';
import { demoAuth } from '../demo/auth.ts';
import { createServer } from '../server/index.ts';
import { sqliteStore } from '../server/sqlite.ts';
import type { PushCommand } from '../shared/index.ts';
import { type BenchRow, printTable, progress, runsSpread, summary } from './report.ts';

const CLIENTS = 8;
const SCOPES = 64;
/** Columns per board, so a column holds about a hundred cards, as on a busy real board. */
const COLUMNS = 4;
const BATCH = 100;
const BATCHES_PER_CLIENT = 40;

/**
 * Server push on one node with SQLite: commands per second re-validated (args and events),
 * run against the scope state, ordered and committed, in batches of 100 from several clients
 * over several scopes, through real HTTP on loopback. Beside it, the floor: raw better-sqlite3
 * appends of the same number of events, one transaction per batch, in the same run.
 */
export async function benchServerPush(runs: number): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-bench-'));
  try {
    const pushed: number[] = [];
    const own: number[] = [];
    /** CPU time per command, server and loading clients together: steadier than rates on a shared machine. */
    const pushedCpu: number[] = [];
    const ownCpu: number[] = [];
    const floors: number[] = [];
    const hellos: number[] = [];
    for (let r = 0; r < runs; r++) {
      console.log(`bench: server push run ${r + 1}/${runs} ...`);
      const all = await measurePush(path.join(dir, `push-${r}.db`), 'all-scopes');
      pushed.push(all.rate);
      pushedCpu.push(all.cpuMicros);
      const mine = await measurePush(path.join(dir, `own-${r}.db`), 'own-boards');
      own.push(mine.rate);
      ownCpu.push(mine.cpuMicros);
      floors.push(measureRawInserts(path.join(dir, `raw-${r}.db`), CLIENTS * BATCHES_PER_CLIENT, BATCH));
      hellos.push(await measureHello());
    }
    const push = summary(pushed);
    const ownBoards = summary(own);
    const floor = summary(floors);
    const hello = summary(hellos);
    const rows: BenchRow[] = [
      {
        what: 'floor: raw better-sqlite3 inserts, 1 transaction per 100',
        value: floor.median,
        unit: 'rows/s',
        spread: runsSpread(floor),
      },
      {
        what: `floor: Hono hello-world (@hono/node-server, ${HELLO_CLIENTS} keep-alive clients in this process)`,
        value: hello.median,
        unit: 'req/s',
        spread: runsSpread(hello, 'published: ≈ 74k req/s'),
      },
      {
        what: `server push, SQLite, ${CLIENTS} clients × ${BATCHES_PER_CLIENT} batches of ${BATCH}, ${SCOPES} scopes`,
        value: push.median,
        unit: 'commands/s',
        spread: runsSpread(
          push,
          `${fmtRequests(push.median / BATCH)} push requests/s; ${cpu(pushedCpu)} µs of CPU a command (server and clients)`,
        ),
        floor: { what: 'raw better-sqlite3 inserts, 1 transaction per 100', value: floor.median },
        target: {
          text: '≥ 30,000/s and ≥ 0.25 × floor',
          met: push.median >= 30_000 && push.median >= 0.25 * floor.median,
        },
      },
      {
        what: `server push, SQLite, same load, each client on its own ${SCOPES / CLIENTS} boards`,
        value: ownBoards.median,
        unit: 'commands/s',
        spread: runsSpread(
          ownBoards,
          `${fmtRequests(ownBoards.median / BATCH)} push requests/s; ${cpu(ownCpu)} µs of CPU a command (server and clients)`,
        ),
        floor: { what: 'raw better-sqlite3 inserts, 1 transaction per 100', value: floor.median },
        target: { text: '≥ 15,000/s (issue 15)', met: ownBoards.median >= 15_000 },
      },
    ];
    return printTable('Server (one node, SQLite)', rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const HELLO_CLIENTS = 8;
const HELLO_MS = 2000;

/** Requests/s of a Hono hello-world on loopback: `HELLO_CLIENTS` loops of keep-alive fetches. */
async function measureHello(): Promise<number> {
  const hello = new Hono().get('/', (c) => c.text('Hello Hono!'));
  const listener = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: hello.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/`;
  try {
    let count = 0;
    const started = performance.now();
    const until = started + HELLO_MS;
    await Promise.all(
      Array.from({ length: HELLO_CLIENTS }, async () => {
        while (performance.now() < until) {
          await (await fetch(url)).text();
          count++;
        }
      }),
    );
    return count / ((performance.now() - started) / 1000);
  } finally {
    (listener as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  }
}

function cpu(micros: number[]): string {
  return summary(micros).median.toFixed(0);
}

function fmtRequests(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * `all-scopes`: every push spreads over all 64 boards (so every push locks every scope);
 * `own-boards`: each client works on its own 8 boards, as users mostly do.
 */
export async function measurePush(
  file: string,
  shape: 'all-scopes' | 'own-boards',
): Promise<{ rate: number; cpuMicros: number }> {
  const store = sqliteStore({ file });
  // The bench is one trusted loader: lift the per-user rate limit (its bucket lookup still runs).
  const app = createServer({
    app: kanban,
    store,
    auth: demoAuth({ adminToken: 'bench' }),
    limits: { requestsPerSecond: 1e9, requestBurst: 1e9 },
  });
  const listener = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  const post = async (clientId: string, commands: PushCommand[]) => {
    const res = await fetch(`${url}/v1/push`, {
      method: 'POST',
      headers: { authorization: `Bearer demo:${clientId}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientId, commands }),
    });
    const body = (await res.json()) as {
      results?: Array<{ status: string; events?: Array<{ scope: string; seq: number }> }>;
    };
    if (res.status !== 200 || body.results?.some((r) => r.status !== 'applied')) {
      throw new Error(`bench push failed: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    }
    return body.results ?? [];
  };
  try {
    // Boards and columns, created by a setup client.
    const setup: PushCommand[] = [];
    let seq = 0;
    const cmd = (clientId: string, name: string, args: unknown, n: number): PushCommand => ({
      id: `${clientId}-${n}`,
      seq: n,
      name,
      args,
      at: 1_700_000_000_000 + n,
      baseSeq: 0,
    });
    for (let s = 0; s < SCOPES; s++) {
      setup.push(cmd('setup', 'createBoard', { boardId: `b${s}`, title: 'Bench' }, ++seq));
      for (let k = 0; k < COLUMNS; k++) {
        setup.push(
          cmd('setup', 'addColumn', { boardId: `b${s}`, columnId: `b${s}-c${k}`, title: `Column ${k}` }, ++seq),
        );
      }
    }
    await post('setup', setup);

    let done = 0;
    const total = CLIENTS * BATCHES_PER_CLIENT;
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        const clientId = `client${c}`;
        // Like a real client, each command's base is the newest seq this client has seen of
        // its scope (from its own confirmations; a real one also hears the live stream).
        const seen = new Map<string, number>();
        let n = 0;
        for (let b = 0; b < BATCHES_PER_CLIENT; b++) {
          const batch: PushCommand[] = [];
          for (let i = 0; i < BATCH; i++) {
            n++;
            const perClient = SCOPES / CLIENTS;
            const s = shape === 'all-scopes' ? (c * 7 + b * 3 + i) % SCOPES : c * perClient + ((b * 3 + i) % perClient);
            batch.push(
              i % 4 === 3
                ? cmd(
                    clientId,
                    'renameCard',
                    { boardId: `b${s}`, cardId: `${clientId}-k${n - 1}`, title: `renamed ${n}` },
                    n,
                  )
                : cmd(
                    clientId,
                    'addCard',
                    {
                      boardId: `b${s}`,
                      cardId: `${clientId}-k${n}`,
                      columnId: `b${s}-c${n % COLUMNS}`,
                      title: `card ${n}`,
                    },
                    n,
                  ),
            );
          }
          // renameCard targets the previous command's card, which lives in the previous scope.
          for (let i = 3; i < BATCH; i += 4) {
            const prev = batch[i - 1];
            const current = batch[i];
            if (prev && current)
              batch[i] = {
                ...current,
                args: { ...(current.args as object), boardId: (prev.args as { boardId: string }).boardId },
              };
          }
          for (const command of batch) {
            command.baseSeq = seen.get((command.args as { boardId: string }).boardId) ?? 0;
          }
          for (const result of await post(clientId, batch)) {
            for (const event of result.events ?? []) {
              const boardId = event.scope.slice('board:'.length);
              seen.set(boardId, Math.max(seen.get(boardId) ?? 0, event.seq));
            }
          }
          progress('server push batches', ++done, total);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpuStarted);
    return { rate: (total * BATCH) / seconds, cpuMicros: (used.user + used.system) / (total * BATCH) };
  } finally {
    listener.close();
    await store.close();
  }
}

function measureRawInserts(file: string, batches: number, size: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (scope TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
    command_id TEXT NOT NULL, client_id TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (scope, seq)) WITHOUT ROWID`);
  const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)');
  const heads = new Map<string, number>();
  const appendBatch = db.transaction((b: number) => {
    for (let i = 0; i < size; i++) {
      const scope = `board:b${(b + i) % SCOPES}`;
      const seq = (heads.get(scope) ?? 0) + 1;
      heads.set(scope, seq);
      const data = JSON.stringify({
        boardId: 'b',
        cardId: `k${b}-${i}`,
        columnId: 'todo',
        title: `card ${i}`,
        rank: 'a0',
      });
      insert.run(scope, seq, 'cardAdded', data, `c${b}-${i}`, 'client', 1_700_000_000_000);
    }
  });
  const started = performance.now();
  for (let b = 0; b < batches; b++) {
    appendBatch(b);
    progress('raw sqlite batches', b + 1, batches);
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return (batches * size) / seconds;
}
