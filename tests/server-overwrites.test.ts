import { describe, expect, it } from 'vitest';
import { kanban } from '../demo/app.ts';
import { type ForeignEvent, findOverwrites, markOverwrites } from '../server/overwrites.ts';
import { executeCommand, MemoryTables, OverlayTables } from '../shared/index.ts';

const SCOPE = 'board:b';
const card = { cardId: 'k', boardId: 'b', columnId: 'todo', title: 'T', rank: 'a0' };
const event = (seq: number, type: string, data: unknown): ForeignEvent => ({
  seq,
  type,
  data,
  scope: SCOPE,
  at: 0,
  commandId: `other-${seq}`,
  clientId: 'other',
});

/** Runs `name` on a board holding one card; returns what the command wrote. */
function run(name: string, args: unknown) {
  const tables = new MemoryTables(kanban.tables);
  tables.put('columns', { columnId: 'todo', boardId: 'b', title: 'To do', wipLimit: null, rank: 'a0' });
  tables.put('columns', { columnId: 'done', boardId: 'b', title: 'Done', wipLimit: null, rank: 'a1' });
  tables.put('cards', card);
  tables.put('descriptions', { cardId: 'k', boardId: 'b', text: { runs: [['seed/0', 0, 'x']] } });
  const before = new OverlayTables(kanban.tables, tables);
  const result = executeCommand(kanban, { id: 'mine', name, args, at: 0 }, () => before);
  if (!result.ok) throw new Error(result.message);
  return { before, writes: result.writes };
}

describe('findOverwrites', () => {
  it('names the last intervening writer of each field the command changed, and only those', () => {
    const { before, writes } = run('renameCard', { boardId: 'b', cardId: 'k', title: 'Mine' });
    const intervening = [
      event(5, 'cardRenamed', { cardId: 'k', title: 'First' }),
      event(6, 'cardMoved', { cardId: 'k', fromColumnId: 'todo', toColumnId: 'done', rank: 'a1' }),
      event(7, 'cardRenamed', { cardId: 'k', title: 'Second' }),
      event(8, 'cardRenamed', { cardId: 'other-card', title: 'Elsewhere' }),
    ];
    const found = findOverwrites(kanban, before, writes, intervening);
    expect(found).toEqual([{ seq: 7, table: 'cards', key: 'k', field: 'title' }]);
    expect(
      markOverwrites([{ seq: 5, type: 'cardRenamed', commandId: 'other-5', clientId: 'other' }], found, intervening),
    ).toEqual([
      { seq: 5, type: 'cardRenamed', commandId: 'other-5', clientId: 'other' },
      {
        seq: 7,
        type: 'cardRenamed',
        commandId: 'other-7',
        clientId: 'other',
        overwrote: [{ table: 'cards', key: 'k', field: 'title' }],
      },
    ]);
  });

  it('finds nothing when the intervening events wrote other fields, or when nothing intervened', () => {
    const { before, writes } = run('moveCard', { boardId: 'b', cardId: 'k', toColumnId: 'done' });
    expect(findOverwrites(kanban, before, writes, [event(5, 'cardRenamed', { cardId: 'k', title: 'X' })])).toEqual([]);
    expect(findOverwrites(kanban, before, writes, [])).toEqual([]);
  });

  it('ignores text fields, which merge', () => {
    const { before, writes } = run('editDescription', {
      boardId: 'b',
      cardId: 'k',
      edit: [{ insert: 'a', after: null }],
    });
    const other = event(5, 'descriptionEdited', {
      boardId: 'b',
      cardId: 'k',
      ops: [{ insert: 'b', after: null, id: 'other/0' }],
    });
    expect(findOverwrites(kanban, before, writes, [other])).toEqual([]);
  });
});
