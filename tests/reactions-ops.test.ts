import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kanban } from '../demo/app.ts';
import { reactionsMain } from '../server/cli/reactions.ts';
import {
  bearerAuth,
  createReactionRunner,
  defineReaction,
  memoryCheckpoints,
  type ReactionRunner,
  readModel,
} from '../server/index.ts';
import { api } from './support/http.ts';
import { seedBoard } from './support/kanban.ts';
import { ADMIN_TOKEN, type RunningServer, startServer, tempDir } from './support/server-process.ts';

const temp = tempDir('weft-reactions-ops-');
let server: RunningServer;
let runner: ReactionRunner;
let broken = true;

beforeAll(async () => {
  runner = createReactionRunner({
    reactions: [
      readModel({ name: 'boards', app: kanban, scopePrefix: 'board:' }),
      defineReaction({
        name: 'broken',
        handle() {
          if (broken) throw new Error('webhook timed out');
        },
      }),
    ],
    checkpoints: memoryCheckpoints(),
    pollMs: 50,
    backoff: { baseMs: 20, maxMs: 50 },
    maxAttempts: 1000,
    onError: () => {},
  });
  // `read` on board:secret only for the admin; everything else as the demo.
  const auth = bearerAuth({
    verify: (token) =>
      token === ADMIN_TOKEN
        ? { userId: 'admin', admin: true }
        : token.startsWith('demo:')
          ? { userId: token.slice(5) }
          : null,
    authorize: (principal, right, scope) => principal.admin === true || right !== 'read' || scope !== 'board:secret',
  });
  server = await startServer(`${temp.dir}/ops.db`, { reactions: runner, auth });
});
afterAll(async () => {
  await runner.stop();
  await server.stop();
  temp.dispose();
});

async function until(predicate: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 10_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('reactions: operator view and read models', () => {
  it('serves a server-side read model over GET /v1/query/:table to users with the read right', async () => {
    const board = await seedBoard(server.url, 'ann', 'ann-1', 'q1');
    const card = board.commands.next('addCard', { boardId: 'q1', cardId: 'c1', columnId: board.todo, title: 'One' });
    await board.client.push({ clientId: 'ann-1', commands: [card] });
    await seedBoard(server.url, 'ann', 'ann-2', 'secret');
    const ann = api(server.url, 'demo:ann');
    type Query = { rows: Array<Record<string, unknown>>; seq: number; model: string };
    await until(async () => (await ann.get<Query>('/v1/query/cards?scope=board%3Aq1')).json.seq === 4, 'the model');
    const cards = (await ann.get<Query>('/v1/query/cards?scope=board%3Aq1')).json;
    expect(cards).toMatchObject({ model: 'boards', seq: 4, rows: [{ cardId: 'c1', title: 'One', boardId: 'q1' }] });
    const columns = (await ann.get<Query>('/v1/query/columns?scope=board%3Aq1')).json.rows;
    expect(columns.map((c) => c.columnId)).toEqual(['q1-doing', 'q1-todo']);
    // A query: the board's columns by rank, last first, one of them; then the next page after it.
    const byRank = `/v1/query/columns?scope=board%3Aq1&where=${encodeURIComponent('{"boardId":"q1"}')}&orderBy=rank:desc&limit=1`;
    const last = (await ann.get<Query>(byRank)).json.rows;
    expect(last.map((c) => c.columnId)).toEqual(['q1-doing']);
    const next = (await ann.get<Query>(`${byRank}&after=${encodeURIComponent(JSON.stringify(last[0]))}`)).json.rows;
    expect(next.map((c) => c.columnId)).toEqual(['q1-todo']);
    const named = (await ann.get<Query>(`${byRank}&index=boardId,rank`)).json.rows;
    expect(named.map((c) => c.columnId)).toEqual(['q1-doing']);
    const unserved = await ann.get('/v1/query/cards?scope=board%3Aq1&orderBy=title');
    expect([unserved.status, unserved.json.error?.code]).toEqual([400, 'bad_request']);
    expect(unserved.json.error?.message).toContain("declare indexes: [['title']]");
    const malformed = await ann.get('/v1/query/cards?scope=board%3Aq1&where=nope');
    expect([malformed.status, malformed.json.error?.code]).toEqual([400, 'bad_request']);

    const forbidden = await ann.get('/v1/query/boards?scope=board%3Asecret');
    expect([forbidden.status, forbidden.json.error?.code]).toEqual([403, 'forbidden']);
    const admin = api(server.url, ADMIN_TOKEN);
    expect((await admin.get<Query>('/v1/query/boards?scope=board%3Asecret')).status).toBe(200);
    const noTable = await ann.get('/v1/query/nope?scope=board%3Aq1');
    expect([noTable.status, noTable.json.error?.code]).toEqual([404, 'not_found']);
    const noScope = await ann.get('/v1/query/cards');
    expect([noScope.status, noScope.json.error?.code]).toEqual([400, 'bad_request']);
    expect((await api(server.url, null).get('/v1/query/cards?scope=board%3Aq1')).status).toBe(401);
  });

  it('reports status in /metrics and through `weft reactions`', async () => {
    await until(async () => (await runner.status()).some((s) => s.name === 'broken' && s.failures > 0), 'a failure');
    const res = await api(server.url, ADMIN_TOKEN).raw('/metrics');
    const text = await res.text();
    expect(text).toMatch(/weft_reaction_lag\{reaction="broken"\} [1-9]/u);
    expect(text).toMatch(/weft_reaction_lag\{reaction="boards"\} \d+/u);
    expect(text).toMatch(/weft_reaction_failures\{reaction="broken"\} [1-9]/u);
    expect(text).toContain('weft_reaction_parked{reaction="broken"} 0');

    const capture = () => {
      const chunks: string[] = [];
      const write = (chunk: string) => {
        chunks.push(chunk);
        return true;
      };
      return { stream: { write }, text: () => chunks.join('') };
    };
    const out = capture();
    const err = capture();
    expect(await reactionsMain(['--url', server.url, '--token', ADMIN_TOKEN, '--json'], out.stream, err.stream)).toBe(
      0,
    );
    const json = JSON.parse(out.text()) as {
      reactions: Array<{ name: string; lastError: { message: string } | null }>;
    };
    expect(json.reactions.map((r) => r.name)).toEqual(['boards', 'broken']);
    expect(json.reactions[1]?.lastError?.message).toBe('webhook timed out');

    const table = capture();
    expect(await reactionsMain(['--url', server.url, '--token', ADMIN_TOKEN], table.stream, err.stream)).toBe(0);
    expect(table.text()).toMatch(/^REACTION\s+STATE\s+CHECKPOINT\s+LAG/u);
    expect(table.text()).toMatch(/broken\s+(retrying|delivering)\s+\d+\s+[1-9]/u);

    const denied = capture();
    expect(await reactionsMain(['--url', server.url, '--token', 'demo:ann'], out.stream, denied.stream)).toBe(1);
    expect(denied.text()).toContain('403 forbidden');
    expect(await reactionsMain(['--url', server.url], out.stream, denied.stream)).toBe(2);

    broken = false;
    await until(async () => (await runner.status()).every((s) => s.lag === 0), 'recovery');
  });
});
