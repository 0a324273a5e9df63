import { checkIndexes, type TableQuery } from './query-model.ts';
import type { SchemaOutput, StandardSchemaV1 } from './standard-schema.ts';
import type { IndexDef, Row, RowOf, TableDef, TableDefs, TableName } from './table-defs.ts';

export type { AnyTableDef, IndexDef, Row, RowOf, TableDef, TableDefs, TableName } from './table-defs.ts';

export type EventSchemas = Readonly<Record<string, StandardSchemaV1>>;

/**
 * Reads of projection tables within one scope. `find` matches fields exactly (one of them must
 * lead a declared index) and is sorted by key; `query` reads a declared index in its order
 * (see `TableQuery`). Both throw a `QueryError` naming the index to declare when none serves.
 */
export interface TableReader<T extends TableDefs = TableDefs> {
  get<N extends TableName<T>>(table: N, key: string): RowOf<T, N> | undefined;
  find<N extends TableName<T>>(table: N, where?: Partial<RowOf<T, N>>): RowOf<T, N>[];
  query<N extends TableName<T>>(table: N, query?: TableQuery<RowOf<T, N>>): RowOf<T, N>[];
}

/** The one write interface of projections, whatever store sits behind it. */
export interface ProjectionTx<T extends TableDefs = TableDefs> extends TableReader<T> {
  put<N extends TableName<T>>(table: N, row: RowOf<T, N>): void;
  delete<N extends TableName<T>>(table: N, key: string): void;
}

/** An event as projections see it: the fact, plus when and by which command it happened. */
export interface AppliedEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
  readonly scope: string;
  /** The command's timestamp (`ctx.now`), identical in the optimistic and the confirmed run. */
  readonly at: number;
  readonly commandId: string;
}

export type ProjectionHandlers<E extends EventSchemas, T extends TableDefs> = {
  readonly [K in keyof E & string]?: (tx: ProjectionTx<T>, event: AppliedEvent<K, SchemaOutput<E[K]>>) => void;
};

/** What a command's `run` may do: read its scope, emit events, reject. Deterministic by design. */
export interface CommandContext<E extends EventSchemas, T extends TableDefs> extends TableReader<T> {
  /** The command's timestamp in ms since the epoch, taken once when the client issued it. */
  readonly now: number;
  readonly scope: string;
  /** The command's own id, the same on every run (text edits derive their character ids from it). */
  readonly commandId: string;
  /** An id derived from the command id, the same on every run of this command. */
  id(): string;
  /** The first row `query` reads, in its order (O(log n) in the index). */
  first<N extends TableName<T>>(table: N, query?: TableQuery<RowOf<T, N>>): RowOf<T, N> | undefined;
  /**
   * The last row `query` reads: e.g. the highest rank of a column,
   * `ctx.last('cards', { index: ['columnId', 'rank'], where: { columnId } })`.
   */
  last<N extends TableName<T>>(table: N, query?: TableQuery<RowOf<T, N>>): RowOf<T, N> | undefined;
  emit<K extends keyof E & string>(type: K, data: SchemaOutput<E[K]>): void;
  /**
   * Ends the run: nothing it emitted is kept, and the command settles as rejected.
   * Write `return ctx.reject(...)` so TypeScript narrows what follows.
   */
  reject(code: string, message: string): never;
}

export interface CommandDef<E extends EventSchemas, T extends TableDefs, S extends StandardSchemaV1> {
  readonly args: S;
  /** The consistency boundary this command writes; recomputed by the server from the args. */
  scope(args: SchemaOutput<S>): string;
  run(ctx: CommandContext<E, T>, args: SchemaOutput<S>): void;
}

/** A command as an upcaster sees it: its name and JSON args under one app version. */
export interface CommandForm {
  readonly name: string;
  readonly args: unknown;
}

/**
 * Turns a command issued under version `v` into its form under `v + 1`: rename it, reshape
 * its args, or return it unchanged. Pure and deterministic, like every definition: the client
 * and the server may both apply it, and must agree.
 */
export type CommandUpcaster = (command: CommandForm) => CommandForm;

export interface AppSpec<
  E extends EventSchemas,
  T extends TableDefs,
  C extends Readonly<Record<string, StandardSchemaV1>>,
> {
  readonly name: string;
  /** The app's schema version; the server accepts `[minVersion, version]` (default: all). */
  readonly version?: number;
  /**
   * Upcasters by the version they upgrade from: `upcasters[1]` turns a version-1 command into
   * its version-2 form. A missing step changes nothing. Commands kept in an outbox across an
   * upgrade, and commands of clients still on an older accepted version, go through every
   * step from their version to `version` before they run.
   */
  readonly upcasters?: Readonly<Record<number, CommandUpcaster>>;
  readonly events: E;
  readonly tables: T;
  readonly projections: ProjectionHandlers<E, T>;
  readonly commands: { readonly [K in keyof C]: CommandDef<E, T, C[K]> };
}

export interface App<
  E extends EventSchemas = EventSchemas,
  T extends TableDefs = TableDefs,
  C extends Readonly<Record<string, StandardSchemaV1>> = Readonly<Record<string, StandardSchemaV1>>,
> extends AppSpec<E, T, C> {
  readonly version: number;
}

/** Any app, for code (client, server) that interprets definitions without knowing their types. */
// biome-ignore lint/suspicious/noExplicitAny: the erased form of App<E, T, C>, used by interpreters
export type AnyApp = App<any, any, any>;

export type CommandName<A extends AnyApp> = keyof A['commands'] & string;
export type CommandArgs<A extends AnyApp, N extends CommandName<A>> =
  A['commands'][N] extends CommandDef<EventSchemas, TableDefs, infer S> ? StandardSchemaV1.InferInput<S> : never;

/**
 * Defines an app once for client, server and tests: its events, projection tables,
 * projection handlers and commands. The result is inert, frozen data.
 *
 * @example
 * const app = defineApp({
 *   name: 'todo',
 *   events: { added: v.object({ id: v.string(), text: v.string() }) },
 *   tables: { todos: table(v.object({ id: v.string(), text: v.string() }), { key: 'id' }) },
 *   projections: { added: (tx, e) => tx.put('todos', e.data) },
 *   commands: {
 *     add: {
 *       args: v.object({ list: v.string(), text: v.string() }),
 *       scope: (args) => `list:${args.list}`,
 *       run: (ctx, args) => ctx.emit('added', { id: ctx.id(), text: args.text }),
 *     },
 *   },
 * });
 */
export function defineApp<
  E extends EventSchemas,
  T extends TableDefs,
  C extends Readonly<Record<string, StandardSchemaV1>>,
>(spec: AppSpec<E, T, C>): App<E, T, C> {
  for (const [name, def] of Object.entries(spec.tables)) {
    if (typeof def.key !== 'string') throw new TypeError(`table ${name} needs a string key field`);
    checkIndexes(name, def);
  }
  const version = spec.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 1) throw new TypeError('an app version is an integer ≥ 1');
  for (const from of Object.keys(spec.upcasters ?? {})) {
    const step = Number(from);
    if (!Number.isSafeInteger(step) || step < 1 || step >= version) {
      throw new TypeError(`upcaster ${from} does not upgrade to a version up to ${version}`);
    }
  }
  return Object.freeze({ ...spec, version });
}

/**
 * Declares a projection table and its ordered indexes. Each index also ends with the key, so
 * `['columnId', 'rank']` serves `where: { columnId }` ordered by rank, and `'columnId'` serves
 * `where: { columnId }` in key order.
 *
 * @example
 * const cards = table(Card, { key: 'cardId', indexes: [['columnId', 'rank'], 'boardId'] });
 */
export function table<R extends Row>(
  schema: StandardSchemaV1<unknown, R>,
  options: { key: keyof R & string; indexes?: ReadonlyArray<IndexDef<keyof R & string>> },
): TableDef<R> {
  const indexes = (options.indexes ?? []).map((index) =>
    typeof index === 'string' ? index : Object.freeze([...index]),
  );
  return Object.freeze({ schema, key: options.key, indexes: Object.freeze(indexes) });
}
