import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerAuth } from '../server/index.ts';
import { type AuditResponse, digestEvents, type PullResponse } from '../shared/index.ts';
import { api, storeState } from './support/http.ts';
import { seedBoard } from './support/kanban.ts';
import { ADMIN_TOKEN, type RunningServer, startServer, tempDir } from './support/server-process.ts';

let server: RunningServer;
const temp = tempDir();
beforeAll(async () => {
  server = await startServer(`${temp.dir}/audit.db`);
});
afterAll(async () => {
  await server.stop();
  temp.dispose();
});

const admin = () => api(server.url, ADMIN_TOKEN);
const auditOf = async (scope: string) =>
  (await admin().get<AuditResponse>(`/v1/audit?scope=${encodeURIComponent(scope)}&limit=1000`)).json.records;

describe('rejection and conflict audit', () => {
  it('rejects moveCard into a full column with WIP_LIMIT, stores no events, and audits it', async () => {
    const board = await seedBoard(server.url, 'ann', 'a-1', 'wip');
    const fill = ['x', 'y', 'z'].map((cardId) =>
      board.commands.next('addCard', {
        boardId: 'wip',
        cardId,
        columnId: cardId === 'z' ? board.todo : board.doing,
        title: cardId,
      }),
    );
    await board.client.push({ clientId: 'a-1', commands: fill });
    const before = (await board.client.get<PullResponse>(`/v1/pull?scope=${encodeURIComponent(board.scope)}`)).json;
    const move = board.commands.next(
      'moveCard',
      { boardId: 'wip', cardId: 'z', toColumnId: board.doing },
      { baseSeq: before.head },
    );
    const res = await board.client.push({ clientId: 'a-1', commands: [move] });
    expect(res.status).toBe(200);
    expect(res.json.results).toEqual([
      { id: move.id, seq: move.seq, status: 'rejected', code: 'WIP_LIMIT', message: expect.stringContaining('full') },
    ]);
    const after = (await board.client.get<PullResponse>(`/v1/pull?scope=${encodeURIComponent(board.scope)}`)).json;
    expect(after.head).toBe(before.head);
    const record = (await auditOf(board.scope)).find((r) => r.commandId === move.id);
    expect(record).toMatchObject({
      outcome: 'rejected',
      code: 'WIP_LIMIT',
      name: 'moveCard',
      clientId: 'a-1',
      userId: 'ann',
      eventSeqs: [],
      baseSeq: before.head,
      intervenedCount: 0,
    });
  });

  it('audits clean, rebased (digest equal or absent) and diverged, naming what intervened', async () => {
    const board = await seedBoard(server.url, 'ann', 'a-2', 'outcomes');
    const bob = await seedBoard(server.url, 'bob', 'b-2', 'outcomes-bob-own');
    const bobOnBoard = { client: api(server.url, 'demo:bob'), clientId: 'b-2', commands: bob.commands };
    const cardAdded = (cardId: string, columnId: string, rank: string) => [
      { type: 'cardAdded', data: { boardId: 'outcomes', cardId, columnId, title: cardId, rank } },
    ];

    // clean: nothing intervened since the client's base.
    const clean = board.commands.next(
      'addCard',
      { boardId: 'outcomes', cardId: 'c1', columnId: board.todo, title: 'c1' },
      {
        baseSeq: 3,
        digest: digestEvents(cardAdded('c1', board.todo, 'a0')),
      },
    );
    await board.client.push({ clientId: 'a-2', commands: [clean] });

    // Bob's card in "doing" intervenes; Ann's next command, based on seq 4, adds to "todo".
    const bobs = bobOnBoard.commands.next('addCard', {
      boardId: 'outcomes',
      cardId: 'b1',
      columnId: board.doing,
      title: 'b1',
    });
    await bobOnBoard.client.push({ clientId: 'b-2', commands: [bobs] });
    const rebased = board.commands.next(
      'addCard',
      { boardId: 'outcomes', cardId: 'c2', columnId: board.todo, title: 'c2' },
      {
        baseSeq: 4,
        digest: digestEvents(cardAdded('c2', board.todo, 'a1')),
      },
    );
    const noDigest = board.commands.next(
      'renameCard',
      { boardId: 'outcomes', cardId: 'c1', title: 'renamed' },
      { baseSeq: 4 },
    );
    // Ann believes c3 lands first in "doing" (rank a0), but Bob's b1 is there: the server ranks it a1.
    const diverged = board.commands.next(
      'addCard',
      { boardId: 'outcomes', cardId: 'c3', columnId: board.doing, title: 'c3' },
      {
        baseSeq: 4,
        digest: digestEvents(cardAdded('c3', board.doing, 'a0')),
      },
    );
    const res = await board.client.push({ clientId: 'a-2', commands: [rebased, noDigest, diverged] });
    expect(res.json.results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);

    const records = await auditOf(board.scope);
    const byId = new Map(records.map((r) => [r.commandId, r]));
    expect(byId.get(clean.id)).toMatchObject({ outcome: 'clean', intervenedCount: 0, intervened: [], eventSeqs: [4] });
    expect(byId.get(rebased.id)).toMatchObject({
      outcome: 'rebased',
      baseSeq: 4,
      headSeq: 5,
      intervenedCount: 1,
      intervened: [{ seq: 5, type: 'cardAdded', commandId: bobs.id, clientId: 'b-2' }],
      eventSeqs: [6],
    });
    // Ann's own c2 (seq 6) is not a conflict for her later commands: her optimistic run had it.
    expect(byId.get(noDigest.id)).toMatchObject({ outcome: 'rebased', intervenedCount: 1, eventSeqs: [7] });
    expect(byId.get(noDigest.id)?.intervened.map((e) => e.seq)).toEqual([5]);
    expect(byId.get(diverged.id)).toMatchObject({
      outcome: 'diverged',
      intervenedCount: 1,
      headSeq: 7,
      eventSeqs: [8],
    });
  });

  it('lets the admin read across scopes, a user read one scope, and nobody else anything', async () => {
    const board = await seedBoard(server.url, 'ann', 'a-3', 'access');
    const all = await admin().get<AuditResponse>('/v1/audit?limit=1000');
    expect(all.status).toBe(200);
    expect(new Set(all.json.records.map((r) => r.scope)).size).toBeGreaterThan(1);

    const own = await board.client.get<AuditResponse>(`/v1/audit?scope=${encodeURIComponent(board.scope)}`);
    expect(own.status).toBe(200);
    expect(own.json.records.every((r) => r.scope === board.scope)).toBe(true);
    expect(own.json.records).toHaveLength(3);

    const across = await board.client.get<AuditResponse>('/v1/audit');
    expect(across.status).toBe(403);
    expect(across.json.error?.code).toBe('forbidden');
    const anonymous = await api(server.url, null).get<AuditResponse>('/v1/audit');
    expect(anonymous.status).toBe(401);
  });

  it('pages audit records in write order with a next cursor', async () => {
    const all: number[] = [];
    let after = 0;
    for (;;) {
      const page = await admin().get<AuditResponse>(`/v1/audit?limit=4&after=${after}`);
      expect(page.status).toBe(200);
      all.push(...page.json.records.map((r) => r.id));
      if (page.json.next === null) break;
      after = page.json.next;
    }
    expect(all).toEqual([...all].sort((a, b) => a - b));
    expect(new Set(all).size).toBe(all.length);
    const whole = await admin().get<AuditResponse>('/v1/audit?limit=1000');
    expect(all).toEqual(whole.json.records.map((r) => r.id));
  });
});

describe('audit rights decided by the app', () => {
  it('answers 403 to a user without the audit right, whether or not the scope exists', async () => {
    const custom = await startServer(`${temp.dir}/audit-rights.db`, {
      auth: bearerAuth({
        verify: (token) => (token.startsWith('demo:') ? { userId: token.slice(5) } : null),
        authorize: (principal, right, scope) =>
          right !== 'audit' || (principal.userId === 'auditor' && scope === 'board:seen'),
      }),
    });
    try {
      await seedBoard(custom.url, 'ann', 'r-1', 'seen');
      const before = await storeState(custom.store, ['board:seen'], ['r-1']);
      const ann = api(custom.url, 'demo:ann');
      const existing = await ann.get<AuditResponse>('/v1/audit?scope=board%3Aseen');
      const missing = await ann.get<AuditResponse>('/v1/audit?scope=board%3Anever');
      expect(existing.status).toBe(403);
      expect(missing.status).toBe(403);
      expect(existing.json).toEqual(missing.json);
      const auditor = await api(custom.url, 'demo:auditor').get<AuditResponse>('/v1/audit?scope=board%3Aseen');
      expect(auditor.status).toBe(200);
      expect(auditor.json.records).toHaveLength(3);
      expect(await storeState(custom.store, ['board:seen'], ['r-1'])).toBe(before);
    } finally {
      await custom.stop();
    }
  });
});
