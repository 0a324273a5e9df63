import type { protocol, WireEvent } from '../../shared/index.ts';

/** One request a test client made and what came back, as the snapshot and load tests read it. */
export interface SeenExchange {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly status: number;
  /** The events a pull answered with. */
  readonly events: WireEvent[];
  readonly snapshot?: protocol.SnapshotResponse;
}

/** Describes `request` and its answer `res` without consuming the answer's body. */
export async function seenExchange(request: Request, res: Response): Promise<SeenExchange> {
  const url = new URL(request.url);
  const json =
    res.ok && (url.pathname === '/v1/pull' || url.pathname === '/v1/snapshot') ? await res.clone().json() : null;
  return {
    path: url.pathname,
    query: url.searchParams,
    status: res.status,
    events: url.pathname === '/v1/pull' && json ? (json as { events: WireEvent[] }).events : [],
    ...(url.pathname === '/v1/snapshot' && json ? { snapshot: json as protocol.SnapshotResponse } : {}),
  };
}
