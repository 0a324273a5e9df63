import { afterAll, describe, expect, it } from 'vitest';
import { kanban } from '../demo/app.ts';
import { demoAuth } from '../demo/auth.ts';
import { main } from '../server/cli/main.ts';
import { createServer } from '../server/index.ts';
import { sqliteStore } from '../server/sqlite.ts';
import type { AuditResponse, PushCommand } from '../shared/index.ts';
import { commandFactory } from './support/http.ts';
import { tempDir } from './support/server-process.ts';

/**
 * Lost updates are never silent (issue 18, audit `overwrote`): a command that overwrote a plain
 * field an intervening command of another client had written since its base names that field,
 * the row and the intervening command; `/v1/audit?overwrote=` filters on it and
 * `weft_lost_updates_total` counts it. Writes to other fields, and concurrent text edits
 * (which merge), are not lost updates.
 */
const temp = tempDir();
const file = `${temp.dir}/overwrote.db`;
const store = sqliteStore({ file });
const server = createServer({ app: kanban, store, auth: demoAuth({ adminToken: 'admin' }) });
afterAll(async () => {
  await store.close();
  temp.dispose();
});

const push = async (user: string, clientId: string, commands: PushCommand[]) => {
  const res = await server.request('/v1/push', {
    method: 'POST',
    headers: { authorization: `Bearer demo:${user}`, 'content-type': 'application/json' },
    body: JSON.stringify({ clientId, commands }),
  });
  expect(res.status).toBe(200);
};
const audit = async (query: string) => {
  const res = await server.request(`/v1/audit?${query}`, { headers: { authorization: 'Bearer admin' } });
  expect(res.status).toBe(200);
  return ((await res.json()) as AuditResponse).records;
};

describe('the overwrote audit', () => {
  it('names the field, the row and the intervening command a rename overwrote, and nothing else', async () => {
    const ann = commandFactory('ann-1');
    const bob = commandFactory('bob-1');
    const board = { boardId: 'lu' };
    await push('ann', 'ann-1', [
      ann.next('createBoard', { ...board, title: 'Lost updates' }),
      ann.next('addColumn', { ...board, columnId: 'todo', title: 'To do' }),
      ann.next('addColumn', { ...board, columnId: 'done', title: 'Done' }),
      ann.next('addCard', { ...board, cardId: 'k1', columnId: 'todo', title: 'Plan' }),
    ]);
    const base = 4;
    // Bob renames the card and writes its description; Ann, who has seen neither, does the same
    // and also moves it (a field Bob did not write).
    const bobRename = bob.next('renameCard', { ...board, cardId: 'k1', title: 'Plan (Bob)' }, { baseSeq: base });
    const bobText = bob.next(
      'editDescription',
      { ...board, cardId: 'k1', edit: [{ insert: 'Bob', after: null }] },
      { baseSeq: base },
    );
    await push('bob', 'bob-1', [bobRename, bobText]);
    const annRename = ann.next('renameCard', { ...board, cardId: 'k1', title: 'Plan (Ann)' }, { baseSeq: base });
    const annMove = ann.next('moveCard', { ...board, cardId: 'k1', toColumnId: 'done' }, { baseSeq: base });
    const annText = ann.next(
      'editDescription',
      { ...board, cardId: 'k1', edit: [{ insert: 'Ann', after: null }] },
      { baseSeq: base },
    );
    await push('ann', 'ann-1', [annRename, annMove, annText]);

    const records = await audit('scope=board%3Alu');
    const byId = new Map(records.map((r) => [r.commandId, r]));
    expect(byId.get(annRename.id)?.overwrote).toEqual([
      {
        table: 'cards',
        key: 'k1',
        field: 'title',
        seq: 5,
        type: 'cardRenamed',
        commandId: bobRename.id,
        clientId: 'bob-1',
      },
    ]);
    expect(byId.get(annRename.id)?.intervened).toContainEqual({
      seq: 5,
      type: 'cardRenamed',
      commandId: bobRename.id,
      clientId: 'bob-1',
      overwrote: [{ table: 'cards', key: 'k1', field: 'title' }],
    });
    for (const id of [annMove.id, annText.id, bobRename.id, bobText.id])
      expect(byId.get(id)?.overwrote).toBeUndefined();
    expect(byId.get(annMove.id)?.outcome).toBe('rebased');

    expect((await audit('scope=board%3Alu&overwrote=true')).map((r) => r.commandId)).toEqual([annRename.id]);
    expect((await audit('scope=board%3Alu&overwrote=false')).map((r) => r.commandId)).not.toContain(annRename.id);
    const metrics = await (await server.request('/metrics', { headers: { authorization: 'Bearer admin' } })).text();
    expect(metrics).toMatch(/^weft_lost_updates_total 1$/mu);

    // The CLI filters and shows them too.
    let printed = '';
    const out = {
      write(text: string) {
        printed += text;
        return true;
      },
    } as unknown as Parameters<typeof main>[1];
    expect(await main(['audit', '--db', file, '--overwrote'], out, out as unknown as Parameters<typeof main>[2])).toBe(
      0,
    );
    const lines = printed.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('overwrote cards/k1.title of bob-1');

    // Both descriptions merged: nothing of either was lost.
    const pulled = await server.request('/v1/pull?scope=board%3Alu', { headers: { authorization: 'Bearer demo:ann' } });
    const events = ((await pulled.json()) as { events: Array<{ type: string; data: { ops: unknown } }> }).events;
    expect(events.filter((e) => e.type === 'descriptionEdited')).toHaveLength(2);
  });
});
