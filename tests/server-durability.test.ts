import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteStore } from '../server/sqlite.ts';
import type { PullResponse } from '../shared/index.ts';
import { api, storeState } from './support/http.ts';
import { seedBoard } from './support/kanban.ts';
import { startServer, tempDir } from './support/server-process.ts';

const temp = tempDir();
afterAll(() => temp.dispose());

describe('durability across a restart', () => {
  it('runs SQLite in WAL mode with synchronous=FULL, so a 2xx survives power loss (F13 config)', async () => {
    const file = `${temp.dir}/pragmas.db`;
    const store = sqliteStore({ file });
    expect(store.pragmas()).toEqual({ journalMode: 'wal', synchronous: 2 });
    await store.close();
    // WAL is a property of the file, seen by any other connection too.
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('keeps streams, client positions and dedupe results on the same file', async () => {
    const file = `${temp.dir}/durable.db`;
    const first = await startServer(file);
    const board = await seedBoard(first.url, 'ann', 'd-1', 'durable');
    const add = board.commands.next('addCard', { boardId: 'durable', cardId: 'a', columnId: board.doing, title: 'A' });
    const original = await board.client.push({ clientId: 'd-1', commands: [add] });
    const before = await storeState(first.store, [board.scope], ['d-1']);
    await first.stop();

    const second = await startServer(file);
    try {
      expect(await storeState(second.store, [board.scope], ['d-1'])).toBe(before);
      const again = await fetch(`${second.url}/v1/push`, {
        method: 'POST',
        headers: { authorization: 'Bearer demo:ann', 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'd-1', commands: [add] }),
      });
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ results: original.json.results.map((r) => ({ ...r, duplicate: true })) });

      // The client position survived: the next seq is accepted, a skipped one is not.
      const next = board.commands.next('addCard', {
        boardId: 'durable',
        cardId: 'b',
        columnId: board.doing,
        title: 'B',
      });
      const res = await fetch(`${second.url}/v1/push`, {
        method: 'POST',
        headers: { authorization: 'Bearer demo:ann', 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'd-1', commands: [{ ...next, seq: next.seq + 1, id: 'skip' }] }),
      });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ error: { code: 'seq_gap', expected: next.seq } });

      // The scope state was rebuilt: the WIP limit of "doing" (2) still counts card a.
      const fill = board.commands.next('addCard', {
        boardId: 'durable',
        cardId: 'c',
        columnId: board.doing,
        title: 'C',
      });
      const over = board.commands.next('addCard', {
        boardId: 'durable',
        cardId: 'd',
        columnId: board.doing,
        title: 'D',
      });
      const settled = await fetch(`${second.url}/v1/push`, {
        method: 'POST',
        headers: { authorization: 'Bearer demo:ann', 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'd-1', commands: [next, fill, over] }),
      });
      const body = (await settled.json()) as { results: Array<{ status: string; code?: string }> };
      expect(body.results.map((r) => r.code ?? r.status)).toEqual(['applied', 'WIP_LIMIT', 'WIP_LIMIT']);
      const pulled = await api(second.url, 'demo:ann').get<PullResponse>('/v1/pull?scope=board%3Adurable');
      expect(pulled.json.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await second.stop();
    }
  });
});
