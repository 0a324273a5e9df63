import * as v from 'valibot';
import { type AnyApp, planQuery, QueryError, validateSchema } from '../../shared/index.ts';
import type { Query } from '../query/index.ts';

/** A call of the client API with bad input (an unknown table, a malformed query). */
export class InvalidInputError extends TypeError {
  readonly code = 'bad_request';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Validators of what the app hands `createClient`'s API, built once per app with valibot. */
export interface ClientInput {
  command(name: unknown, args: unknown): Checked<{ name: string; args: unknown }>;
  /** Returns the query, or throws an `InvalidInputError` saying what is wrong with it. */
  query(query: unknown): Query;
}

export function clientInput(app: AnyApp): ClientInput {
  const tables = Object.keys(app.tables);
  const commands = Object.keys(app.commands);
  const Field = v.pipe(v.string(), v.minLength(1));
  const QuerySchema = v.strictObject({
    table: v.picklist(tables, `table must be one of ${tables.join(', ')}`),
    where: v.optional(v.record(v.string(), v.unknown())),
    scope: v.optional(v.string()),
    index: v.optional(v.array(Field)),
    range: v.optional(
      v.strictObject({
        gt: v.optional(v.unknown()),
        gte: v.optional(v.unknown()),
        lt: v.optional(v.unknown()),
        lte: v.optional(v.unknown()),
      }),
    ),
    orderBy: v.optional(
      v.union([
        Field,
        v.strictObject({ field: v.optional(Field), direction: v.optional(v.picklist(['asc', 'desc'])) }),
      ]),
    ),
    limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    after: v.optional(v.record(v.string(), v.unknown())),
  });
  const NameSchema = v.picklist(commands, `the command must be one of ${commands.join(', ')}`);

  return {
    command(name, args) {
      const named = v.safeParse(NameSchema, name);
      if (!named.success) {
        return {
          ok: false,
          code: 'unknown_command',
          message: `unknown command ${String(name)}: ${named.issues[0].message}`,
        };
      }
      const def = app.commands[named.output];
      const checked = def ? validateSchema(def.args, args) : { ok: true as const };
      if (!checked.ok) return { ok: false, code: 'bad_request', message: `${named.output}: ${checked.message}` };
      return { ok: true, value: { name: named.output, args } };
    },
    query(query) {
      const parsed = v.safeParse(QuerySchema, query);
      if (!parsed.success) throw new InvalidInputError(`weft: bad query: ${v.summarize(parsed.issues)}`);
      try {
        planQuery(app.tables, parsed.output.table, query as Query);
      } catch (error) {
        if (error instanceof QueryError) throw new InvalidInputError(`weft: bad query: ${error.message}`);
        throw error;
      }
      return query as Query;
    },
  };
}
