import type { Context } from 'hono';
import * as v from 'valibot';
import { type PullResponse, protocol, WeftError } from '../shared/index.ts';
import type { Auth, Principal } from './auth.ts';
import type { EventStore } from './store/port.ts';

/** Validates a route's query string with `schema`; repeated keys arrive as arrays. */
export function parseQuery<S extends v.GenericSchema>(c: Context, schema: S): v.InferOutput<S> {
  const parsed = v.safeParse(schema, c.req.query());
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = issue.path?.map((item) => String(item.key)).join('.') ?? '';
    throw new WeftError('bad_request', `invalid query: ${path ? `${path}: ` : ''}${issue.message}`);
  }
  return parsed.output;
}

export async function requireRight(auth: Auth, principal: Principal, right: 'read' | 'write' | 'audit', scope: string) {
  if (!(await auth.authorize(principal, right, scope))) {
    throw new WeftError('forbidden', `you may not ${right} this scope`);
  }
}

/** `GET /v1/pull?scope=S&after=N&limit=L`: events with seq > N in order, the head, and whether more follow. */
export async function handlePull(
  c: Context,
  store: EventStore,
  auth: Auth,
  principal: Principal,
): Promise<PullResponse> {
  const query = parseQuery(c, protocol.PullQuerySchema);
  await requireRight(auth, principal, 'read', query.scope);
  const { events, head } = await store.readEvents(query.scope, query.after, query.limit);
  if (query.after > head) {
    throw new WeftError('cursor_ahead', `cursor ${query.after} is past the head ${head} of this scope`, {
      scope: query.scope,
      head,
    });
  }
  const last = events.at(-1)?.seq ?? query.after;
  return { scope: query.scope, events, head, more: last < head };
}
