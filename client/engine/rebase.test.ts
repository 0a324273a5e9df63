import { describe, expect, it } from 'vitest';
import { digestEvents, MemoryTables } from '../../shared/index.ts';
import { todo } from '../testing/todo-app.ts';
import { confirmedPrefix, NO_EVENTS, rebuildOverlay, runCommand } from './rebase.ts';

const record = (id: string, name: string, args: unknown) => ({ id, name, args, at: 1 });
const added = (itemId: string) => ({ type: 'added', data: { listId: 'a', itemId, text: '' } });

describe('rebuildOverlay', () => {
  it('re-runs commands in order over the base without touching it, keeping failing ones out', () => {
    const base = new MemoryTables(todo.tables);
    base.put('items', { itemId: 'x', listId: 'a', text: '', done: false });
    const { overlay, runs } = rebuildOverlay(todo, base, [
      record('c1', 'add', { listId: 'a', itemId: 'y', text: '' }),
      record('c2', 'add', { listId: 'a', itemId: 'z', text: '' }),
      record('c3', 'add', { listId: 'a', itemId: 'w', text: '' }), // over the limit of 3
      record('c4', 'toggle', { listId: 'a', itemId: 'x' }),
    ]);
    expect(runs.map((run) => (run.ok ? 'ok' : run.code))).toEqual(['ok', 'ok', 'LIMIT', 'ok']);
    expect(overlay.find('items').map((row) => [row.itemId, row.done])).toEqual([
      ['x', true],
      ['y', false],
      ['z', false],
    ]);
    expect(base.find('items')).toHaveLength(1);
  });

  it('gives every run a digest of its events, and the empty digest to commands that emit nothing', () => {
    const base = new MemoryTables(todo.tables);
    const { runs } = rebuildOverlay(todo, base, [
      record('c1', 'add', { listId: 'a', itemId: 'y', text: '' }),
      record('c2', 'touch', { listId: 'a' }),
    ]);
    expect(runs[0]).toMatchObject({ ok: true, digest: digestEvents([added('y')]) });
    expect(runs[1]).toMatchObject({ ok: true, digest: NO_EVENTS, tables: new Set() });
  });

  it('runCommand refuses a scope the client does not hold', () => {
    expect(runCommand(todo, record('c', 'touch', { listId: 'q' }), () => undefined)).toMatchObject({
      ok: false,
      code: 'scope_not_synced',
    });
  });
});

describe('confirmedPrefix', () => {
  const pending = [
    { id: 'c1', runDigest: digestEvents([added('a'), added('b')]) },
    { id: 'c2', runDigest: digestEvents([added('c')]) },
    { id: 'c3', runDigest: null },
  ];
  const event = (commandId: string, itemId: string) => ({ commandId, ...added(itemId) });

  it('counts the oldest pending commands whose latest runs the events are', () => {
    expect(confirmedPrefix(pending, [])).toBe(0);
    expect(confirmedPrefix(pending, [event('c1', 'a'), event('c1', 'b')])).toBe(1);
    expect(confirmedPrefix(pending, [event('c1', 'a'), event('c1', 'b'), event('c2', 'c')])).toBe(2);
  });

  it('is null for anything else: another client, other events, out of order, a failing command', () => {
    expect(confirmedPrefix(pending, [event('other', 'a')])).toBeNull();
    expect(confirmedPrefix(pending, [event('c1', 'a')])).toBeNull();
    expect(confirmedPrefix(pending, [event('c2', 'c')])).toBeNull();
    expect(confirmedPrefix([{ id: 'c3', runDigest: null }], [event('c3', 'a')])).toBeNull();
    expect(confirmedPrefix([], [event('c1', 'a')])).toBeNull();
  });
});
