import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { table } from './define-app.ts';
import { MemoryTables } from './memory-tables.ts';
import { OverlayTables } from './overlay-tables.ts';

const tables = {
  items: table(v.object({ id: v.string(), group: v.string(), n: v.number() }), { key: 'id', indexes: ['group'] }),
};

describe('MemoryTables', () => {
  it('finds by index, filters the other fields among its rows, sorted by key, and forgets deleted rows', () => {
    const t = new MemoryTables(tables);
    t.put('items', { id: 'b', group: 'x', n: 1 });
    t.put('items', { id: 'a', group: 'x', n: 2 });
    t.put('items', { id: 'c', group: 'y', n: 1 });
    expect(t.find('items', { group: 'x' }).map((r) => r.id)).toEqual(['a', 'b']);
    expect(t.find('items', { group: 'x', n: 1 }).map((r) => r.id)).toEqual(['b']);
    // No declared index leads with `n`: a full scan would be silent, so the read refuses and says what to declare.
    expect(() => t.find('items', { n: 1 })).toThrow("no declared index serves where [n]; declare indexes: [['n']]");
    t.put('items', { id: 'a', group: 'y', n: 2 });
    expect(t.find('items', { group: 'x' }).map((r) => r.id)).toEqual(['b']);
    t.delete('items', 'b');
    expect(t.find('items', { group: 'x' })).toEqual([]);
    expect(t.get('items', 'b')).toBeUndefined();
  });

  it('freezes stored rows so handlers cannot change state behind put', () => {
    const t = new MemoryTables(tables);
    const row = { id: 'a', group: 'x', n: 1 };
    t.put('items', row);
    row.n = 5;
    expect(t.get('items', 'a')?.n).toBe(1);
    expect(Object.isFrozen(t.get('items', 'a'))).toBe(true);
  });

  it('refuses unknown tables and rows without a string key', () => {
    const t = new MemoryTables(tables);
    expect(() => t.put('nope', { id: 'a' })).toThrow(/unknown table/u);
    expect(() => t.put('items', { id: 1, group: 'x', n: 1 })).toThrow(/string id/u);
  });

  it('restores from its dump', () => {
    const t = new MemoryTables(tables);
    t.put('items', { id: 'a', group: 'x', n: 1 });
    expect(MemoryTables.restore(tables, t.dump()).dump()).toEqual(t.dump());
  });
});

type Op = { kind: 'put'; id: string; group: string; n: number } | { kind: 'delete'; id: string };

describe('OverlayTables', () => {
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('put' as const),
      id: fc.constantFrom('a', 'b', 'c', 'd'),
      group: fc.constantFrom('x', 'y'),
      n: fc.integer({ min: 0, max: 3 }),
    }),
    fc.record({ kind: fc.constant('delete' as const), id: fc.constantFrom('a', 'b', 'c', 'd') }),
  );
  const applyOps = (target: MemoryTables | OverlayTables, ops: ReadonlyArray<Op>) => {
    for (const o of ops) {
      if (o.kind === 'put') target.put('items', { id: o.id, group: o.group, n: o.n });
      else target.delete('items', o.id);
    }
  };

  it('reads exactly as if its writes had gone to the base, and commits to the same state (property)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), fc.array(op, { maxLength: 12 }), (baseOps, layerOps) => {
        const base = new MemoryTables(tables);
        applyOps(base, baseOps);
        const direct = MemoryTables.restore(tables, base.dump());
        applyOps(direct, layerOps);
        const overlay = new OverlayTables(tables, base);
        applyOps(overlay, layerOps);
        for (const group of ['x', 'y'])
          expect(overlay.find('items', { group })).toEqual(direct.find('items', { group }));
        expect(overlay.find('items')).toEqual(direct.find('items'));
        for (const id of ['a', 'b', 'c', 'd']) expect(overlay.get('items', id)).toEqual(direct.get('items', id));
        const before = base.dump();
        expect(base.dump()).toEqual(before);
        overlay.commitTo(base);
        expect(base.dump()).toEqual(direct.dump());
      }),
    );
  });
});
