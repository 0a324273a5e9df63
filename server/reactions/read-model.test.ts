import { describe, expect, it } from 'vitest';
import { checkQueryStore, type ItemOp, queryApp } from '../../tests/support/query-property.ts';
import type { ReactionContext } from './reaction.ts';
import { readModel } from './read-model.ts';

const ctx = {} as ReactionContext;

describe('readModel', () => {
  it('answers queries equal to the reference (filter, sort, slice) after every batch of events (property)', async () => {
    await checkQueryStore(() => {
      const model = readModel({ name: 'items', app: queryApp });
      let seq = 0;
      return {
        async apply(ops: ReadonlyArray<ItemOp>) {
          const events = ops.map((op) => ({
            scope: 's',
            seq: ++seq,
            type: op.kind === 'put' ? 'put' : 'del',
            data: op.kind === 'put' ? op.row : { id: op.id },
            at: 0,
            commandId: `c${seq}`,
            clientId: 'k',
          }));
          await model.handle(events as never, ctx);
        },
        query: (q) => model.query('items', 's', q).rows,
      };
    }, 40);
  });

  it('refuses a query no declared index serves, whether or not the scope has rows', () => {
    const model = readModel({ name: 'items', app: queryApp });
    expect(() => model.query('items', 'empty', { where: { n: 1 }, orderBy: 'g' })).toThrow(
      "declare indexes: [['n', 'g']]",
    );
  });
});
