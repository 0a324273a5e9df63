import { describe, expect, it } from 'vitest';
import { applyEvent, type ExecuteResult, executeCommand, MemoryTables } from '../shared/index.ts';
import { kanban } from './app.ts';

/** One board's state, built by running commands the way the server does. */
function board() {
  const tables = new MemoryTables(kanban.tables);
  let n = 0;
  const run = (name: string, args: unknown): ExecuteResult => {
    const record = { id: `cmd${++n}`, name, args, at: 1_700_000_000_000 + n };
    const result = executeCommand(kanban, record, () => tables);
    if (result.ok)
      for (const event of result.events)
        applyEvent(kanban, tables, { ...event, scope: result.scope, at: record.at, commandId: record.id });
    return result;
  };
  run('createBoard', { boardId: 'b', title: 'B' });
  run('addColumn', { boardId: 'b', columnId: 'todo', title: 'To do' });
  run('addColumn', { boardId: 'b', columnId: 'doing', title: 'Doing', wipLimit: 1 });
  return { tables, run };
}

const cardsIn = (tables: MemoryTables, columnId: string) =>
  tables
    .find('cards', { columnId })
    .sort((a, b) => ((a.rank as string) < (b.rank as string) ? -1 : 1))
    .map((c) => c.cardId);

describe('kanban app', () => {
  it('scopes every command to its board', () => {
    const { run } = board();
    expect(run('addCard', { boardId: 'b', cardId: 'c1', columnId: 'todo', title: 'One' })).toMatchObject({
      ok: true,
      scope: 'board:b',
    });
  });

  it('rejects addCard and moveCard into a full column with WIP_LIMIT, not counting the moved card', () => {
    const { tables, run } = board();
    run('addCard', { boardId: 'b', cardId: 'c1', columnId: 'doing', title: 'One' });
    run('addCard', { boardId: 'b', cardId: 'c2', columnId: 'todo', title: 'Two' });
    expect(run('addCard', { boardId: 'b', cardId: 'c3', columnId: 'doing', title: 'Three' })).toMatchObject({
      ok: false,
      code: 'WIP_LIMIT',
    });
    expect(run('moveCard', { boardId: 'b', cardId: 'c2', toColumnId: 'doing' })).toMatchObject({
      ok: false,
      code: 'WIP_LIMIT',
    });
    expect(run('moveCard', { boardId: 'b', cardId: 'c1', toColumnId: 'doing' })).toMatchObject({ ok: true });
    expect(cardsIn(tables, 'doing')).toEqual(['c1']);
    run('archiveCard', { boardId: 'b', cardId: 'c1' });
    expect(run('moveCard', { boardId: 'b', cardId: 'c2', toColumnId: 'doing' })).toMatchObject({ ok: true });
  });

  it('orders cards by fractional rank, before a given card or last', () => {
    const { tables, run } = board();
    for (const id of ['a', 'b', 'c']) run('addCard', { boardId: 'b', cardId: id, columnId: 'todo', title: id });
    run('moveCard', { boardId: 'b', cardId: 'c', toColumnId: 'todo', beforeCardId: 'a' });
    expect(cardsIn(tables, 'todo')).toEqual(['c', 'a', 'b']);
    run('moveCard', { boardId: 'b', cardId: 'c', toColumnId: 'todo', beforeCardId: 'b' });
    expect(cardsIn(tables, 'todo')).toEqual(['a', 'c', 'b']);
    run('moveCard', { boardId: 'b', cardId: 'a', toColumnId: 'todo' });
    expect(cardsIn(tables, 'todo')).toEqual(['c', 'b', 'a']);
  });

  it('answers NOT_FOUND and ALREADY_EXISTS, and validates args', () => {
    const { run } = board();
    expect(run('createBoard', { boardId: 'b', title: 'again' })).toMatchObject({ ok: false, code: 'ALREADY_EXISTS' });
    expect(run('addColumn', { boardId: 'nope', columnId: 'x', title: 'X' })).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
    expect(run('renameCard', { boardId: 'b', cardId: 'ghost', title: 'X' })).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
    expect(run('addCard', { boardId: 'b', cardId: 'c', columnId: 'todo', title: '' })).toMatchObject({
      ok: false,
      code: 'bad_request',
    });
    expect(run('addColumn', { boardId: 'b', columnId: 'x', title: 'X', wipLimit: 0 })).toMatchObject({
      ok: false,
      code: 'bad_request',
    });
    expect(run('teleportCard', {})).toMatchObject({ ok: false, code: 'unknown_command' });
  });

  it('is deterministic: the same record on the same state emits the same events and leaves state untouched', () => {
    const { tables, run } = board();
    run('addCard', { boardId: 'b', cardId: 'c1', columnId: 'todo', title: 'One' });
    const before = tables.dump();
    const record = { id: 'same', name: 'moveCard', args: { boardId: 'b', cardId: 'c1', toColumnId: 'doing' }, at: 5 };
    const first = executeCommand(kanban, record, () => tables);
    const second = executeCommand(kanban, record, () => tables);
    expect(first.ok && second.ok).toBe(true);
    if (first.ok && second.ok) expect(first.events).toEqual(second.events);
    expect(tables.dump()).toEqual(before);
  });

  it('gives each board its createdAt from the command time, not the clock', () => {
    const { tables } = board();
    expect(tables.get('boards', 'b')).toMatchObject({ createdAt: 1_700_000_000_001 });
  });
});
