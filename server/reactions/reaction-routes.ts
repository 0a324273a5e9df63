import type { Hono } from 'hono';
import * as v from 'valibot';
import { protocol, QueryError, type TableQuery, WeftError } from '../../shared/index.ts';
import type { Auth, Principal } from '../auth.ts';
import { parseQuery, requireRight } from '../routes-read.ts';
import type { ReactionRunner } from './reaction-runner.ts';
import { isReadModel } from './read-model.ts';

type Env = { Variables: { principal: Principal } };

const NameSchema = v.pipe(v.string(), v.regex(/^[\w.-]{1,64}$/u, 'must be a reaction name'));
const ParamsSchema = v.object({ name: NameSchema });
const QueryParamsSchema = v.object({ table: v.pipe(v.string(), v.regex(/^[\w.-]{1,128}$/u, 'must be a table name')) });
/** A JSON object in one query-string parameter (`where`, `range`, `after`). */
const JsonObject = v.pipe(
  v.string(),
  v.maxLength(10_000),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      const value: unknown = JSON.parse(dataset.value);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {}
    addIssue({ message: 'must be a JSON object' });
    return NEVER;
  }),
);
const Field = v.pipe(v.string(), v.regex(/^[\w.-]{1,128}$/u, 'must be a field name'));
const QueryStringSchema = v.object({
  scope: protocol.ScopeSchema,
  /** Comma-separated fields of a declared index. */
  index: v.optional(
    v.pipe(
      v.string(),
      v.transform((s) => s.split(',')),
      v.array(Field),
    ),
  ),
  where: v.optional(JsonObject),
  range: v.optional(
    v.pipe(
      JsonObject,
      v.strictObject({
        gt: v.optional(v.unknown()),
        gte: v.optional(v.unknown()),
        lt: v.optional(v.unknown()),
        lte: v.optional(v.unknown()),
      }),
    ),
  ),
  /** `field`, `field:desc` or `:desc`. */
  orderBy: v.optional(
    v.pipe(v.string(), v.regex(/^([\w.-]{1,128})?(:(asc|desc))?$/u, 'must be field, field:asc or field:desc')),
  ),
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,6}$/u, 'must be an integer'), v.transform(Number))),
  after: v.optional(JsonObject),
});

/**
 * `GET /v1/reactions` (admin): each reaction's status and parked events;
 * `POST /v1/reactions/:name/resume` (admin): re-deliver the parked events;
 * `GET /v1/query/:table?scope=S` (the `read` right on S): a read model's rows, all of them by key,
 * or a query: `index=a,b`, `where`, `range` and `after` as JSON objects, `orderBy=field:desc`, `limit=N`.
 * Mounted after the `/v1/*` auth middleware, which sets the principal.
 */
export function mountReactionRoutes(server: Hono<Env>, runner: ReactionRunner, auth: Auth): void {
  const requireAdmin = (principal: Principal) => {
    if (!principal.admin) throw new WeftError('forbidden', 'only the admin may manage reactions');
  };

  server.get('/v1/reactions', async (c) => {
    requireAdmin(c.get('principal'));
    const statuses = await runner.status();
    const reactions = await Promise.all(
      statuses.map(async (s) => ({ ...s, parkedEvents: (await runner.parked(s.name)).slice(0, 100) })),
    );
    return c.json({ reactions });
  });

  server.post('/v1/reactions/:name/resume', async (c) => {
    requireAdmin(c.get('principal'));
    const { name } = parse(ParamsSchema, c.req.param(), 'path');
    if (!runner.has(name)) throw new WeftError('not_found', `no reaction named ${name}`);
    return c.json({ reaction: name, resumed: await runner.resume(name) });
  });

  server.get('/v1/query/:table', async (c) => {
    const { table } = parse(QueryParamsSchema, c.req.param(), 'path');
    const { scope, ...params } = parseQuery(c, QueryStringSchema);
    await requireRight(auth, c.get('principal'), 'read', scope);
    const model = runner.reactions
      .filter(isReadModel)
      .find((m) => m.tables.includes(table) && (m.scopePrefix === undefined || scope.startsWith(m.scopePrefix)));
    if (!model) throw new WeftError('not_found', `no read model serves table ${table} for this scope`);
    const { rows, seq } = readQuery(() => model.query(table, scope, tableQuery(params)));
    return c.json({ model: model.name, table, scope, seq, rows });
  });
}

function parse<S extends v.GenericSchema>(schema: S, input: unknown, where: string): v.InferOutput<S> {
  const parsed = v.safeParse(schema, input);
  if (parsed.success) return parsed.output;
  const issue = parsed.issues[0];
  const key = issue.path?.map((item) => String(item.key)).join('.') ?? '';
  throw new WeftError('bad_request', `invalid ${where}: ${key ? `${key}: ` : ''}${issue.message}`);
}

function tableQuery(params: Omit<v.InferOutput<typeof QueryStringSchema>, 'scope'>): TableQuery | undefined {
  const { orderBy, ...rest } = params;
  if (Object.keys(params).length === 0) return undefined;
  const query: Record<string, unknown> = { ...rest };
  if (orderBy !== undefined) {
    const [field, direction] = orderBy.split(':');
    query.orderBy = { ...(field ? { field } : {}), direction: direction === 'desc' ? 'desc' : 'asc' };
  }
  return query as TableQuery;
}

/** A query no declared index serves is the caller's mistake: 400, with the index to declare. */
function readQuery<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof QueryError) throw new WeftError('bad_request', error.message);
    throw error;
  }
}
