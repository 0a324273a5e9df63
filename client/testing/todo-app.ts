import * as v from 'valibot';
import { defineApp, table } from '../../shared/index.ts';

/**
 * A small app for the client's unit tests (client/ may not import the demo): lists of items,
 * scope `list:<listId>`, at most `LIST_LIMIT` items per list, so that rebases can make a
 * pending command fail. `touch` emits nothing, to test commands without events.
 */
export const LIST_LIMIT = 3;

const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const Item = v.object({ itemId: Id, listId: Id, text: v.string(), done: v.boolean() });

export const todo = defineApp({
  name: 'todo',
  version: 1,
  events: {
    added: v.object({ listId: Id, itemId: Id, text: v.string() }),
    renamed: v.object({ itemId: Id, text: v.string() }),
    toggled: v.object({ itemId: Id, done: v.boolean() }),
    removed: v.object({ itemId: Id }),
  },
  tables: {
    items: table(Item, { key: 'itemId', indexes: ['listId', 'done', 'text'] }),
  },
  projections: {
    added: (tx, { data }) => tx.put('items', { ...data, done: false }),
    renamed: (tx, { data }) => {
      const item = tx.get('items', data.itemId);
      if (item) tx.put('items', { ...item, text: data.text });
    },
    toggled: (tx, { data }) => {
      const item = tx.get('items', data.itemId);
      if (item) tx.put('items', { ...item, done: data.done });
    },
    removed: (tx, { data }) => tx.delete('items', data.itemId),
  },
  commands: {
    add: {
      args: v.object({ listId: Id, itemId: Id, text: v.string() }),
      scope: (args) => `list:${args.listId}`,
      run(ctx, args) {
        if (ctx.get('items', args.itemId)) return ctx.reject('ALREADY_EXISTS', `item ${args.itemId} exists`);
        if (ctx.find('items', { listId: args.listId }).length >= LIST_LIMIT) {
          return ctx.reject('LIMIT', `list ${args.listId} is full`);
        }
        ctx.emit('added', args);
      },
    },
    rename: {
      args: v.object({ listId: Id, itemId: Id, text: v.string() }),
      scope: (args) => `list:${args.listId}`,
      run(ctx, args) {
        if (!ctx.get('items', args.itemId)) return ctx.reject('NOT_FOUND', `no item ${args.itemId}`);
        ctx.emit('renamed', { itemId: args.itemId, text: args.text });
      },
    },
    toggle: {
      args: v.object({ listId: Id, itemId: Id }),
      scope: (args) => `list:${args.listId}`,
      run(ctx, args) {
        const item = ctx.get('items', args.itemId);
        if (!item) return ctx.reject('NOT_FOUND', `no item ${args.itemId}`);
        ctx.emit('toggled', { itemId: args.itemId, done: !item.done });
      },
    },
    remove: {
      args: v.object({ listId: Id, itemId: Id }),
      scope: (args) => `list:${args.listId}`,
      run(ctx, args) {
        if (!ctx.get('items', args.itemId)) return ctx.reject('NOT_FOUND', `no item ${args.itemId}`);
        ctx.emit('removed', { itemId: args.itemId });
      },
    },
    touch: {
      args: v.object({ listId: Id }),
      scope: (args) => `list:${args.listId}`,
      run() {},
    },
  },
});

export type TodoApp = typeof todo;
