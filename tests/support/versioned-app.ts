import * as v from 'valibot';
import { type AnyApp, defineApp, table } from '../../shared/index.ts';

/**
 * One list app in three releases, for the version and poison tests. Scope `list:<listId>`.
 * - v1: `add { listId, itemId, text }` emits `added`.
 * - v2: `add` is gone; `addItem { listId, itemId, title }` (upcaster 1 renames it).
 * - v3: `addItem` also takes a `priority` (upcaster 2 adds 0); a new event `tagged` and command `tag`.
 * Every release projects `added` into the same `items` row, so old events stay valid.
 */
const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const Item = v.object({
  itemId: Id,
  listId: Id,
  text: v.string(),
  priority: v.number(),
  tag: v.nullable(v.string()),
});
const tables = { items: table(Item, { key: 'itemId', indexes: ['listId'] }) };
const added = v.object({ listId: Id, itemId: Id, text: v.string(), priority: v.optional(v.number()) });
const tagged = v.object({ itemId: Id, tag: v.string() });

type Tx = {
  get(table: 'items', key: string): v.InferOutput<typeof Item> | undefined;
  put(table: 'items', row: v.InferOutput<typeof Item>): void;
};
const projectAdded = (tx: Tx, data: v.InferOutput<typeof added>) =>
  tx.put('items', {
    itemId: data.itemId,
    listId: data.listId,
    text: data.text,
    priority: data.priority ?? 0,
    tag: null,
  });

export const listV1 = defineApp({
  name: 'lists',
  version: 1,
  events: { added },
  tables,
  projections: { added: (tx, { data }) => projectAdded(tx, data) },
  commands: {
    add: {
      args: v.object({ listId: Id, itemId: Id, text: v.string() }),
      scope: (args) => `list:${args.listId}`,
      run(ctx, args) {
        if (ctx.get('items', args.itemId)) return ctx.reject('ALREADY_EXISTS', `item ${args.itemId} exists`);
        ctx.emit('added', args);
      },
    },
  },
});

const addItemV3 = v.object({ listId: Id, itemId: Id, title: v.string(), priority: v.number() });

export const listV3 = defineApp({
  name: 'lists',
  version: 3,
  upcasters: {
    1: (command) => {
      if (command.name !== 'add') return command;
      const { text, ...rest } = command.args as { text: string };
      return { name: 'addItem', args: { ...rest, title: text } };
    },
    2: (command) =>
      command.name === 'addItem' ? { name: 'addItem', args: { priority: 0, ...(command.args as object) } } : command,
  },
  events: { added, tagged },
  tables,
  projections: {
    added: (tx, { data }) => projectAdded(tx, data),
    tagged: (tx, { data }) => {
      const item = tx.get('items', data.itemId);
      if (item) tx.put('items', { ...item, tag: data.tag });
    },
  },
  commands: {
    addItem: {
      args: addItemV3,
      scope: (args) => `list:${args.listId}`,
      run(ctx, args) {
        if (ctx.get('items', args.itemId)) return ctx.reject('ALREADY_EXISTS', `item ${args.itemId} exists`);
        ctx.emit('added', { listId: args.listId, itemId: args.itemId, text: args.title, priority: args.priority });
      },
    },
    tag: {
      args: v.object({ listId: Id, itemId: Id, tag: v.string() }),
      scope: (args) => `list:${args.listId}`,
      run(ctx, args) {
        if (!ctx.get('items', args.itemId)) return ctx.reject('NOT_FOUND', `no item ${args.itemId}`);
        ctx.emit('tagged', { itemId: args.itemId, tag: args.tag });
      },
    },
    /** Throws (a bug) once the list holds an item `trap`: a poison command on some states only. */
    risky: {
      args: v.object({ listId: Id, itemId: Id }),
      scope: (args) => `list:${args.listId}`,
      run(ctx, args) {
        if (ctx.get('items', 'trap')) throw new Error('risky broke on the trap');
        ctx.emit('added', { listId: args.listId, itemId: args.itemId, text: 'risky', priority: 0 });
      },
    },
  },
});

/**
 * `app` (as `version`) with an `added` projection that throws on items titled `poison`, and
 * counts its calls: a poison projection, on the client or the server.
 */
export function poisoned<A extends AnyApp>(app: A, version = app.version): { app: A; calls: () => number } {
  let calls = 0;
  const projections = {
    ...app.projections,
    added: (tx: Tx, event: { data: v.InferOutput<typeof added> }) => {
      calls++;
      if (event.data.text === 'poison') throw new Error('the added projection broke on poison');
      projectAdded(tx, event.data);
    },
  };
  return { app: defineApp({ ...app, version, projections }) as unknown as A, calls: () => calls };
}
