import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyToModel, itemOp, itemQuery, queryTables } from '../tests/support/query-property.ts';
import type { Row } from './define-app.ts';
import { OrderedIndex } from './ordered-index.ts';
import { declaredIndexes, indexName, planQuery, runPlanOn } from './query-model.ts';

describe('OrderedIndex', () => {
  it('scans what the reference reads while its blocks split and empty (blocks of 1–2 rows, property)', () => {
    fc.assert(
      fc.property(
        fc.array(itemOp, { maxLength: 40 }),
        fc.array(itemQuery, { minLength: 1, maxLength: 6 }),
        (ops, queries) => {
          const indexes = new Map(
            [...declaredIndexes(queryTables.items), []].map((fields) => [
              indexName(fields),
              new OrderedIndex(fields, 'id', 1),
            ]),
          );
          const model = new Map<string, Row>();
          for (const op of ops) {
            const previous = model.get(op.kind === 'put' ? op.row.id : op.id);
            for (const index of indexes.values()) {
              if (previous) index.remove(previous);
              if (op.kind === 'put') index.insert(op.row);
            }
            applyToModel(model, [op]);
          }
          for (const index of indexes.values()) expect(index.size).toBe(model.size);
          for (const query of queries) {
            const plan = planQuery(queryTables, 'items', query);
            const index = indexes.get(indexName(plan.fields)) as OrderedIndex;
            expect([...index.scan(plan)], JSON.stringify(query)).toEqual(runPlanOn(plan, model.values()));
          }
        },
      ),
    );
  });
});
