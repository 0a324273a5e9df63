import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditResponse, PullResponse, PushCommand } from '../shared/index.ts';
import { FAULT_POINTS, type FaultPoint } from '../testing/index.ts';
import { api, commandFactory } from './support/http.ts';
import { startServerChild } from './support/server-child.ts';
import { ADMIN_TOKEN, tempDir } from './support/server-process.ts';

/**
 * TEST-PLAN F05 `server-crash-every-step` and G13: a real server process is SIGKILLed at each
 * named point of the push pipeline, restarted on the same SQLite file, and the client resends
 * the same batch. Every command must end up applied exactly once, with one audit record, and
 * the file must pass `PRAGMA integrity_check`.
 */
const temp = tempDir('weft-crash-');
afterAll(() => temp.dispose());

/** A board, its columns, and `cards` cards: one batch from one client. */
function batch(clientId: string, boardId: string, cards: number): PushCommand[] {
  const commands = commandFactory(clientId);
  return [
    commands.next('createBoard', { boardId, title: 'Board' }),
    commands.next('addColumn', { boardId, columnId: 'todo', title: 'To do' }),
    ...Array.from({ length: cards }, (_, i) =>
      commands.next('addCard', { boardId, cardId: `k${i}`, columnId: 'todo', title: `Card ${i}` }),
    ),
  ];
}

async function crashThenRetry(point: FaultPoint, cards: number) {
  const file = `${temp.dir}/${point}-${cards}.db`;
  const clientId = `crash-${point}-${cards}`;
  const boardId = `b-${point.replace('.', '-')}-${cards}`;
  const commands = batch(clientId, boardId, cards);

  const doomed = await startServerChild(file, { fault: point });
  const first = await api(doomed.url, 'demo:ann')
    .push({ clientId, commands })
    .then(
      (res) => `answered ${res.status}`,
      () => 'no answer',
    );
  expect(first).toBe('no answer');
  expect(await doomed.exited).toBe('SIGKILL');

  const restarted = await startServerChild(file);
  try {
    const retry = await api(restarted.url, 'demo:ann').push({ clientId, commands });
    expect(retry.status).toBe(200);
    const pulled = await api(restarted.url, 'demo:ann').get<PullResponse>(
      `/v1/pull?scope=${encodeURIComponent(`board:${boardId}`)}&after=0&limit=1000`,
    );
    const audit = await api(restarted.url, ADMIN_TOKEN).get<AuditResponse>(
      `/v1/audit?scope=${encodeURIComponent(`board:${boardId}`)}&limit=1000`,
    );
    return { retry: retry.json.results, events: pulled.json.events, audit: audit.json.records, file };
  } finally {
    await restarted.stop();
  }
}

const committedAt = (point: FaultPoint) => FAULT_POINTS.indexOf(point) >= FAULT_POINTS.indexOf('push.afterCommit');

describe('a server crash at any step of a push', () => {
  for (const point of FAULT_POINTS) {
    it(`${point}: the retry after restart applies every command exactly once`, async () => {
      const { retry, events, audit, file } = await crashThenRetry(point, 3);
      expect(retry.map((r) => r.status)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
      // Before the commit nothing survived, so the retry runs fresh; after it, the retry is a duplicate.
      expect(retry.every((r) => r.duplicate === (committedAt(point) ? true : undefined))).toBe(true);
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(events.map((e) => e.commandId)).toEqual(retry.map((r) => r.id));
      expect(audit.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      const db = new Database(file, { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
    });
  }

  // A push commits as one transaction, so a 100-command batch is never 40 committed and 60 not:
  // killed before the commit, all 100 run on retry; killed after it, all 100 are duplicates.
  for (const point of ['push.beforeCommit', 'push.afterCommit'] as const) {
    it(`a 100-command batch killed at ${point} settles all 100 exactly once`, async () => {
      const { retry, events, audit } = await crashThenRetry(point, 98);
      expect(retry).toHaveLength(100);
      expect(retry.every((r) => r.status === 'applied')).toBe(true);
      expect(retry.filter((r) => r.duplicate).length).toBe(point === 'push.afterCommit' ? 100 : 0);
      expect(new Set(events.map((e) => e.commandId)).size).toBe(100);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(audit).toHaveLength(100);
    });
  }
});
