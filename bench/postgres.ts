import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { PushCommand } from '../shared/index.ts';
import { startPostgres } from '../tests/support/postgres.ts';
import { type ServerChild, startServerChild } from '../tests/support/server-child.ts';
import { type BenchRow, environment, printTable, progress, runsSpread, summary } from './report.ts';

const CLIENTS = 8;
const SCOPES = 16;
const BATCH = 100;
const BATCHES_PER_CLIENT = 20;
const LATENCY_BATCHES = 40;

/**
 * Server push on PostgreSQL (durable defaults: fsync and synchronous_commit on), through real HTTP
 * to server processes on one database: commands per second re-validated, run and ordered with
 * one node and with two, and the latency of one 100-command batch. Beside them, the floor: raw
 * multi-row `unnest` INSERTs of as many events, one transaction per 100, as many writers at
 * once, in the same run on the same server.
 */
export async function benchPostgres(runs: number): Promise<string> {
  console.log('bench: starting a throwaway PostgreSQL ...');
  const server = await startPostgres({ database: 'bench', fsync: true });
  try {
    const floors: number[] = [];
    const ones: Array<Awaited<ReturnType<typeof measureNodes>>> = [];
    const twos: Array<Awaited<ReturnType<typeof measureNodes>>> = [];
    for (let r = 0; r < runs; r++) {
      console.log(`bench: PostgreSQL run ${r + 1}/${runs} ...`);
      floors.push(await measureRawInserts(await server.createDatabase(`raw_${r}`)));
      ones.push(await measureNodes(await server.createDatabase(`one_node_${r}`), 1));
      twos.push(await measureNodes(await server.createDatabase(`two_nodes_${r}`), 2));
    }
    const version = await serverVersion(await server.createDatabase('version'));
    environment.set('PostgreSQL', version);
    const floor = summary(floors);
    const one = summary(ones.map((o) => o.throughput));
    const two = summary(twos.map((o) => o.throughput));
    const p50 = summary(ones.map((o) => o.p50));
    const p95 = summary(ones.map((o) => o.p95));
    const retries = twos.reduce((sum, t) => sum + t.retries, 0);
    const floorRow = { what: `raw unnest INSERT, 1 transaction per ${BATCH}, ${CLIENTS} writers`, value: floor.median };
    const rows: BenchRow[] = [
      { what: `floor: ${floorRow.what}`, value: floor.median, unit: 'rows/s', spread: runsSpread(floor) },
      {
        what: `server push, PostgreSQL, 1 node, ${CLIENTS} clients × ${BATCHES_PER_CLIENT} batches of ${BATCH}, ${SCOPES} scopes`,
        value: one.median,
        unit: 'commands/s',
        spread: runsSpread(one),
        floor: floorRow,
        target: { text: '≥ 0.25 × floor', met: one.median >= 0.25 * floor.median },
      },
      {
        what: `server push, PostgreSQL, 2 nodes, same load split across them (${retries} pushes retried after 500, all runs)`,
        value: two.median,
        unit: 'commands/s',
        spread: runsSpread(two),
        floor: floorRow,
        target: { text: '≥ 1 node', met: two.median >= one.median },
      },
      {
        what: `one ${BATCH}-command batch (addCard into a fresh column), 1 node, idle server, p50`,
        value: p50.median,
        unit: 'ms',
        spread: runsSpread(p50),
        target: { text: '≤ 3 ms (DESIGN §9)', met: p50.median <= 3 },
      },
      {
        what: `one ${BATCH}-command batch, 1 node, idle server, p95`,
        value: p95.median,
        unit: 'ms',
        spread: runsSpread(p95),
      },
    ];
    return printTable('Server on PostgreSQL (one and two nodes)', rows);
  } finally {
    await server.stop();
  }
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? 'unknown';
  } finally {
    await client.end();
  }
}

async function measureNodes(url: string, count: number) {
  console.log(`bench: ${count} node(s) on PostgreSQL ...`);
  const nodes: ServerChild[] = [];
  try {
    for (let i = 0; i < count; i++) nodes.push(await startServerChild(url));
    const urls = nodes.map((n) => n.url);
    let retries = 0;
    // Like a real client, a 5xx is retried with the same batch after a short jittered pause: two
    // nodes writing the same scopes can exhaust the pipeline's commit attempts (see README).
    const post = async (target: string, clientId: string, commands: PushCommand[]) => {
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${target}/v1/push`, {
          method: 'POST',
          headers: { authorization: `Bearer demo:${clientId}`, 'content-type': 'application/json' },
          body: JSON.stringify({ clientId, commands }),
        });
        const body = (await res.json()) as {
          results?: Array<{ status: string; events?: Array<{ seq: number; scope: string }> }>;
        };
        if (res.status >= 500 && attempt < 50) {
          retries++;
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 25 * Math.min(attempt + 1, 8)));
          continue;
        }
        if (res.status !== 200 || body.results?.some((r) => r.status !== 'applied')) {
          throw new Error(`bench push failed: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
        }
        return body.results ?? [];
      }
    };
    /** What each client has seen of each scope (its own events), as a synced client's `baseSeq`. */
    const seen = new Map<string, number>();
    const base = (clientId: string, scope: string) => seen.get(`${clientId} ${scope}`) ?? 0;
    const push = async (target: string, clientId: string, commands: PushCommand[]) => {
      for (const result of await post(target, clientId, commands)) {
        for (const e of result.events ?? []) seen.set(`${clientId} ${e.scope}`, e.seq);
      }
    };
    const setup: PushCommand[] = [];
    for (let s = 0; s < SCOPES; s++) {
      setup.push(cmd('setup', 'createBoard', { boardId: `b${s}`, title: 'Bench' }, setup.length + 1));
      setup.push(
        cmd('setup', 'addColumn', { boardId: `b${s}`, columnId: `b${s}-todo`, title: 'To do' }, setup.length + 1),
      );
    }
    await push(urls[0] as string, 'setup', setup);

    let done = 0;
    const total = CLIENTS * BATCHES_PER_CLIENT;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        const clientId = `client${c}`;
        const target = urls[c % urls.length] as string;
        let n = 0;
        for (let b = 0; b < BATCHES_PER_CLIENT; b++) {
          const batch = Array.from({ length: BATCH }, (_, i) => {
            const s = (c * 7 + b * 3 + i) % SCOPES;
            n++;
            return cmd(
              clientId,
              'addCard',
              { boardId: `b${s}`, cardId: `${clientId}-k${n}`, columnId: `b${s}-todo`, title: `card ${n}` },
              n,
              base(clientId, `board:b${s}`),
            );
          });
          await push(target, clientId, batch);
          progress(`${count}-node push batches`, ++done, total);
        }
      }),
    );
    const throughput = (total * BATCH) / ((performance.now() - started) / 1000);

    // Each timed batch fills a column of its own on a board of its own: the time is the
    // pipeline's and the store's, not the demo's addCard sorting a column of thousands.
    const times: number[] = [];
    let n = 0;
    const next = (name: string, args: unknown) => {
      n++;
      return cmd('latency', name, args, n, base('latency', 'board:lat'));
    };
    await push(urls[0] as string, 'latency', [next('createBoard', { boardId: 'lat', title: 'latency' })]);
    for (let b = 0; b < LATENCY_BATCHES; b++) {
      const columnId = `lat-col${b}`;
      await push(urls[0] as string, 'latency', [next('addColumn', { boardId: 'lat', columnId, title: `c${b}` })]);
      const batch = Array.from({ length: BATCH }, () =>
        next('addCard', { boardId: 'lat', cardId: `lat-${n + 1}`, columnId, title: 'x' }),
      );
      const t = performance.now();
      await push(urls[0] as string, 'latency', batch);
      times.push(performance.now() - t);
    }
    times.sort((x, y) => x - y);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
    console.log(`bench: ${count} node(s): ${retries} pushes retried after a 5xx`);
    return { throughput, p50: at(0.5), p95: at(0.95), retries };
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

function cmd(clientId: string, name: string, args: unknown, n: number, baseSeq = 0): PushCommand {
  return { id: `${clientId}-${n}`, seq: n, name, args, at: 1_700_000_000_000 + n, baseSeq };
}

async function measureRawInserts(url: string): Promise<number> {
  console.log('bench: raw multi-row INSERT floor ...');
  const pool = new pg.Pool({ connectionString: url, max: CLIENTS });
  try {
    await pool.query(`CREATE TABLE events (scope text NOT NULL, seq bigint NOT NULL, type text NOT NULL,
      data text NOT NULL, command_id text NOT NULL, client_id text NOT NULL, at bigint NOT NULL, PRIMARY KEY (scope, seq))`);
    let done = 0;
    const total = CLIENTS * BATCHES_PER_CLIENT;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        const client = await pool.connect();
        try {
          for (let b = 0; b < BATCHES_PER_CLIENT; b++) {
            const seqs = Array.from({ length: BATCH }, (_, i) => b * BATCH + i + 1);
            const data = seqs.map((s) =>
              JSON.stringify({ boardId: 'b', cardId: `k${c}-${s}`, columnId: 'todo', title: `card ${s}`, rank: 'a0' }),
            );
            await client.query('BEGIN');
            await client.query(
              `INSERT INTO events SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                $6::text[], $7::bigint[])`,
              [
                seqs.map(() => `raw:${c}`),
                seqs,
                seqs.map(() => 'cardAdded'),
                data,
                seqs.map((s) => `c${c}-${s}`),
                seqs.map(() => `client${c}`),
                seqs.map(() => 1_700_000_000_000),
              ],
            );
            await client.query('COMMIT');
            progress('raw insert batches', ++done, total);
          }
        } finally {
          client.release();
        }
      }),
    );
    return (total * BATCH) / ((performance.now() - started) / 1000);
  } finally {
    await pool.end();
  }
}
