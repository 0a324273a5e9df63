import { describe, expect, it } from 'vitest';
import { type DirtyChanges, DirtyRows } from './dirty-rows.ts';

const keysOf = (changes: DirtyChanges, scope: string, table: string) => {
  const keys = changes.get(scope)?.get(table);
  return keys instanceof Set ? [...keys] : keys;
};

describe('DirtyRows', () => {
  it('keeps a key changed twice once, lets a whole-table change absorb the keys, and starts over at take', () => {
    const dirty = new DirtyRows();
    expect(dirty.empty).toBe(true);
    dirty.changed('s1', [
      { table: 'cards', key: 'a' },
      { table: 'cards', key: 'a' },
      { table: 'cols', key: 'x' },
    ]);
    dirty.invalidate('s1', ['cols']);
    dirty.changed('s1', [{ table: 'cols', key: 'y' }]); // the whole table is read anyway
    dirty.changed('s2', [{ table: 'cards', key: 'b' }]);
    expect(dirty.empty).toBe(false);
    const taken = dirty.take();
    expect(keysOf(taken, 's1', 'cards')).toEqual(['a']);
    expect(keysOf(taken, 's1', 'cols')).toBe('all');
    expect(keysOf(taken, 's2', 'cards')).toEqual(['b']);
    expect(dirty.empty).toBe(true);
    expect(dirty.take().size).toBe(0);
  });
});
