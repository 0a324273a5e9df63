import type { StandardSchemaV1 } from './standard-schema.ts';

// The shapes of projection tables, apart from define-app.ts so the query model can use them
// without importing the module that imports it (no cycle, types included).

/** A projection row: plain JSON fields. */
export type Row = Readonly<Record<string, unknown>>;

/** A declared index: one field, or an ordered list of fields (a compound index). */
export type IndexDef<F extends string = string> = F | ReadonlyArray<F>;

/**
 * A projection table: rows validated by `schema`, found by the string field `key` and read in
 * the order of its declared `indexes` (see `TableQuery`). Rows live per scope, so a key is
 * unique within its scope.
 */
export interface TableDef<R extends Row = Row> {
  readonly schema: StandardSchemaV1<unknown, R>;
  readonly key: keyof R & string;
  readonly indexes: ReadonlyArray<IndexDef<keyof R & string>>;
}

/** The erased shape of any `TableDef`, whatever its row type. */
export interface AnyTableDef {
  readonly schema: StandardSchemaV1;
  readonly key: string;
  readonly indexes: ReadonlyArray<IndexDef>;
}

export type TableDefs = Readonly<Record<string, AnyTableDef>>;
export type RowOf<T extends TableDefs, N extends keyof T> =
  T[N]['schema'] extends StandardSchemaV1<unknown, infer R> ? (R extends Row ? R : Row) : Row;
export type TableName<T extends TableDefs> = keyof T & string;
