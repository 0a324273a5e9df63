import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { table } from './define-app.ts';
import { MemoryTables } from './memory-tables.ts';
import { OverlayTables } from './overlay-tables.ts';

const tables = {
  cards: table(v.object({ id: v.string(), column: v.string(), title: v.string() }), { key: 'id', indexes: ['column'] }),
};
const op = fc.oneof(
  fc.record({
    kind: fc.constant('put' as const),
    id: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
    column: fc.constantFrom('x', 'y', 'z'),
    title: fc.constantFrom('1', '2'),
  }),
  fc.record({ kind: fc.constant('delete' as const), id: fc.constantFrom('a', 'b', 'c', 'd', 'e') }),
);

describe('OverlayTables', () => {
  it('reads, by index or not, exactly what its changes replayed onto the base would hold', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), fc.array(op, { maxLength: 30 }), (baseOps, layerOps) => {
        const base = new MemoryTables(tables);
        const reference = new MemoryTables(tables);
        for (const target of [base, reference]) apply(target, baseOps);
        const overlay = new OverlayTables(tables, base);
        apply(overlay, layerOps);
        apply(reference, layerOps);
        for (const where of [{}, { column: 'x' }, { column: 'y' }, { column: 'z' }, { column: 'x', title: '1' }]) {
          expect(overlay.find('cards', where)).toEqual(reference.find('cards', where));
        }
        const replayed = new MemoryTables(tables);
        apply(replayed, baseOps);
        overlay.commitTo(replayed);
        expect(replayed.dump()).toEqual(reference.dump());
      }),
    );
  });
});

function apply(target: MemoryTables | OverlayTables, ops: ReadonlyArray<Op>): void {
  for (const o of ops) {
    if (o.kind === 'put') target.put('cards', { id: o.id, column: o.column, title: o.title });
    else target.delete('cards', o.id);
  }
}
type Op = { kind: 'put'; id: string; column: string; title: string } | { kind: 'delete'; id: string };
