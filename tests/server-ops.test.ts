import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLogEntry } from '../server/index.ts';
import type { AuditResponse, PullResponse } from '../shared/index.ts';
import { api } from './support/http.ts';
import { seedBoard } from './support/kanban.ts';
import { ADMIN_TOKEN, type RunningServer, startServer, tempDir } from './support/server-process.ts';

let server: RunningServer;
const temp = tempDir();
const logs: RequestLogEntry[] = [];

/** Produces one record of each outcome on board "ops". */
async function produceEveryOutcome() {
  const ann = await seedBoard(server.url, 'ann', 'ops-ann', 'ops');
  const bob = api(server.url, 'demo:bob');
  const fill = ann.commands.next('addCard', { boardId: 'ops', cardId: 'a', columnId: ann.doing, title: 'a' });
  await ann.client.push({ clientId: 'ops-ann', commands: [fill] });
  await bob.push({
    clientId: 'ops-bob',
    commands: [
      {
        id: 'ops-bob-1',
        seq: 1,
        name: 'addCard',
        args: { boardId: 'ops', cardId: 'b', columnId: ann.doing, title: 'b' },
        at: 1,
        baseSeq: 4,
      },
    ],
  });
  const rebased = ann.commands.next('renameCard', { boardId: 'ops', cardId: 'a', title: 'a2' }, { baseSeq: 4 });
  const diverged = ann.commands.next(
    'addCard',
    { boardId: 'ops', cardId: 'c', columnId: ann.todo, title: 'c' },
    { baseSeq: 4, digest: 'deadbeef' },
  );
  const rejected = ann.commands.next(
    'addCard',
    { boardId: 'ops', cardId: 'd', columnId: ann.doing, title: 'd' },
    { baseSeq: 4 },
  );
  const res = await ann.client.push({ clientId: 'ops-ann', commands: [rebased, diverged, rejected] });
  expect(res.json.results.map((r) => r.code ?? r.status)).toEqual(['applied', 'applied', 'WIP_LIMIT']);
}

beforeAll(async () => {
  server = await startServer(`${temp.dir}/ops.db`, { log: (entry) => logs.push(entry) });
  await produceEveryOutcome();
});
afterAll(async () => {
  await server.stop();
  temp.dispose();
});

/** Runs the CLI as its own process; async, since the server it talks to lives in this one. */
const weft = (args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['bin/weft.mjs', ...args],
      { encoding: 'utf8', env: { ...process.env, WEFT_TOKEN: '' } },
      (error, stdout, stderr) =>
        resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });

describe('operations: audit CLI, metrics and request logs', () => {
  it('the audit API reports each outcome', async () => {
    const res = await api(server.url, ADMIN_TOKEN).get<AuditResponse>('/v1/audit?scope=board%3Aops');
    expect(res.json.records.map((r) => r.outcome)).toEqual([
      'clean',
      'clean',
      'clean',
      'clean',
      'clean',
      'rebased',
      'diverged',
      'rejected',
    ]);
  });

  it('the CLI prints a table from a running server, and filters', async () => {
    const run = await weft([
      'audit',
      '--url',
      server.url,
      '--token',
      ADMIN_TOKEN,
      '--scope',
      'board:ops',
      '--outcome',
      'rejected',
    ]);
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^id\s+recorded\s+scope\s+outcome/u);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/board:ops\s+rejected\s+addCard\s+ops-ann\s+ann/u);
    expect(lines[1]).toContain('WIP_LIMIT');
  });

  it('the CLI prints JSON and a summary straight from the SQLite file', async () => {
    const json = await weft(['audit', '--db', server.file, '--scope', 'board:ops', '--json']);
    expect(json.status).toBe(0);
    const page = JSON.parse(json.stdout) as AuditResponse;
    expect(page.records).toHaveLength(8);
    expect(page.next).toBeNull();

    const summary = await weft(['audit', '--db', server.file, '--summary', '--json']);
    expect(summary.status).toBe(0);
    const parsed = JSON.parse(summary.stdout) as {
      byOutcome: Record<string, number>;
      topConflictingScopes: Array<{ scope: string; conflicts: number }>;
    };
    expect(parsed.byOutcome).toEqual({ clean: 5, rebased: 1, diverged: 1, rejected: 1 });
    expect(parsed.topConflictingScopes[0]).toMatchObject({ scope: 'board:ops', conflicts: 3 });
  });

  it('the CLI refuses bad flags with a clear message and exit code 2', async () => {
    for (const args of [
      ['audit', '--db', server.file, '--outcome', 'exploded'],
      ['audit', '--nope'],
      ['audit'],
      ['audit', '--db', '/no/such/file.db'],
    ]) {
      const run = await weft(args);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/weft audit: /u);
    }
  });

  it('a user without the right gets 403 from the CLI too', async () => {
    const run = await weft(['audit', '--url', server.url, '--token', 'demo:ann']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/403 forbidden/u);
  });

  it('/metrics reports commands by outcome, push latency, live connections and events per scope', async () => {
    const anonymous = await fetch(`${server.url}/metrics`);
    expect(anonymous.status).toBe(401);
    const user = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer demo:ann' } });
    expect(user.status).toBe(403);
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/u);
    const text = await res.text();
    const value = (series: string) =>
      Number(new RegExp(`^${series.replace(/[{}]/gu, '\\$&')} (\\S+)$`, 'mu').exec(text)?.[1]);
    expect(value('weft_commands_total{outcome="clean"}')).toBe(5);
    expect(value('weft_commands_total{outcome="rebased"}')).toBe(1);
    expect(value('weft_commands_total{outcome="diverged"}')).toBe(1);
    expect(value('weft_commands_total{outcome="rejected"}')).toBe(1);
    expect(value('weft_push_duration_seconds_count')).toBe(4);
    expect(value('weft_events_appended_total{scope="board:ops"}')).toBe(7);
    expect(value('weft_live_connections')).toBe(0);
    // What `weft top` ranks the slowest scopes by: pushes per scope and the time they held it.
    expect(value('weft_scope_pushes_total{scope="board:ops"}')).toBe(4);
    expect(value('weft_scope_push_seconds_total{scope="board:ops"}')).toBeGreaterThan(0);
  });

  it('weft top reads /metrics of a running server with the admin token, and refuses a user', async () => {
    const run = await weft([
      'top',
      '--url',
      server.url,
      '--token',
      ADMIN_TOKEN,
      '--count',
      '1',
      '--interval',
      '0.2',
      '--json',
    ]);
    expect(run.status).toBe(0);
    const figures = JSON.parse(run.stdout) as { liveConnections: number; pushRate: number; slowestScopes: unknown[] };
    expect(figures).toMatchObject({ liveConnections: 0, pushRate: 0, slowestScopes: [] });
    const refused = await weft(['top', '--url', server.url, '--token', 'demo:ann', '--count', '1']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/403 forbidden/u);
  });

  it('logs each request as a structured entry without its query or token', async () => {
    await api(server.url, 'demo:ann').get<PullResponse>('/v1/pull?scope=board%3Aops&after=0');
    const entry = logs.findLast((e) => e.path === '/v1/pull');
    expect(entry).toMatchObject({ method: 'GET', status: 200, user: 'ann' });
    expect(typeof entry?.ms).toBe('number');
    expect(JSON.stringify(logs)).not.toContain('demo:ann');
  });
});
