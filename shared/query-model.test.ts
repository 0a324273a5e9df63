import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { applyToModel, checkQueryStore, type ItemOp, queryTables } from '../tests/support/query-property.ts';
import { defineApp, type Row, table } from './define-app.ts';
import { MemoryTables } from './memory-tables.ts';
import { OverlayTables } from './overlay-tables.ts';
import { planQuery, QueryError } from './query-model.ts';

const Card = v.object({ cardId: v.string(), columnId: v.string(), rank: v.string() });
const tables = { cards: table(Card, { key: 'cardId', indexes: [['columnId', 'rank']] }) };

const applyOps = (target: MemoryTables | OverlayTables, ops: ReadonlyArray<ItemOp>) => {
  for (const op of ops) {
    if (op.kind === 'put') target.put('items', op.row);
    else target.delete('items', op.id);
  }
};

describe('planQuery', () => {
  it('picks the index whose prefix is the where fields and whose next field is the order', () => {
    const plan = planQuery(tables, 'cards', {
      where: { columnId: 'c' },
      orderBy: { field: 'rank', direction: 'desc' },
    });
    expect(plan).toMatchObject({ fields: ['columnId', 'rank'], prefix: ['c'], direction: 'desc' });
    expect(planQuery(tables, 'cards', { where: { cardId: 'k' } }).fields).toEqual([]);
  });

  it('refuses, naming the index to declare, a query no declared index serves', () => {
    expect(() => planQuery(tables, 'cards', { orderBy: 'rank' })).toThrow(
      "no declared index serves where [] ordered by rank; declare indexes: [['rank']]",
    );
    expect(() => planQuery(tables, 'cards', { where: { rank: 'a' } })).toThrow("declare indexes: [['rank']]");
    expect(() => planQuery(tables, 'cards', { index: ['rank'] })).toThrow(
      "no declared index [rank]; declare indexes: [['rank']]",
    );
    expect(() => planQuery(tables, 'cards', { index: ['columnId', 'rank'], where: { rank: 'a' } })).toThrow(QueryError);
    expect(() => planQuery(tables, 'cards', { limit: -1 })).toThrow(/limit/u);
  });

  it('checks index declarations at defineApp', () => {
    const define = (indexes: ReadonlyArray<string | ReadonlyArray<string>>) =>
      defineApp({
        name: 'x',
        events: {},
        tables: { cards: table(Card, { key: 'cardId', indexes: indexes as never }) },
        projections: {},
        commands: {},
      });
    expect(() => define([[]])).toThrow(/non-empty list/u);
    expect(() => define([['rank', 'rank']])).toThrow(/repeats a field/u);
    expect(() => define([['rank'], 'rank'])).toThrow(/declared twice/u);
    expect(() => define([['cardId']])).toThrow(/names the key/u);
    expect(() => define([['columnId', 'rank']])).not.toThrow();
  });
});

describe('queries equal the reference (filter, sort, slice) on every in-memory store (property)', () => {
  it('MemoryTables', async () => {
    await checkQueryStore(() => {
      const store = new MemoryTables(queryTables);
      return { apply: (ops) => applyOps(store, ops), query: (q) => store.query('items', q) };
    });
  });

  it('OverlayTables over MemoryTables: the first batch in the base, the rest layered', async () => {
    await checkQueryStore(() => {
      const base = new MemoryTables(queryTables);
      let target: MemoryTables | OverlayTables = base;
      return {
        apply(ops) {
          applyOps(target, ops);
          if (target === base) target = new OverlayTables(queryTables, base);
        },
        query: (q) => target.query('items', q),
      };
    });
  });

  it('OverlayTables over an overlay (a command run over the pending state)', async () => {
    await checkQueryStore(() => {
      const base = new MemoryTables(queryTables);
      const layers: Array<MemoryTables | OverlayTables> = [base];
      return {
        apply(ops) {
          applyOps(layers.at(-1) as MemoryTables | OverlayTables, ops);
          if (layers.length < 3) layers.push(new OverlayTables(queryTables, layers.at(-1) as MemoryTables));
        },
        query: (q) => (layers.at(-1) as OverlayTables).query('items', q),
      };
    });
  });

  it('find stays an equality filter sorted by key', () => {
    const store = new MemoryTables(queryTables);
    const model = new Map<string, Row>();
    const ops: ItemOp[] = [
      { kind: 'put', row: { id: 'b', g: 'x', n: 2, s: 'a' } },
      { kind: 'put', row: { id: 'a', g: 'x', n: 1, s: 'a' } },
      { kind: 'put', row: { id: 'c', g: 'y', n: 1, s: true } },
    ];
    applyOps(store, ops);
    applyToModel(model, ops);
    expect(store.find('items', { g: 'x' }).map((r) => r.id)).toEqual(['a', 'b']);
    expect(store.find('items', { g: 'x', s: 'a' }).map((r) => r.id)).toEqual(['a', 'b']);
    expect(store.find('items').map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });
});
