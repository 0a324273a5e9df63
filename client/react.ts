import { useMemo, useSyncExternalStore } from 'react';
import { type AnyApp, canonicalJson, type RowOf, type TableName } from '../shared/index.ts';
import type { ClientStatus } from './api/index.ts';
import type { WeftClient } from './page/index.ts';
import type { Query } from './query/index.ts';

const EMPTY: never[] = [];

/**
 * The live rows of `query` (DESIGN §3): `[]` until the first result arrives, then the whole
 * result after each change. The query is compared by value, so an inline object literal does
 * not resubscribe on every render.
 *
 * @example
 * const cards = useQuery(weft, { table: 'cards', where: { columnId }, orderBy: 'rank' });
 */
export function useQuery<A extends AnyApp, N extends TableName<A['tables']>>(
  client: WeftClient<A>,
  query: Query<A['tables'], N>,
): RowOf<A['tables'], N>[] {
  const key = canonicalJson(query);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the query is keyed by its value
  const store = useMemo(() => {
    let rows: RowOf<A['tables'], N>[] = EMPTY;
    return {
      subscribe: (notify: () => void) =>
        client.subscribe(query, (next) => {
          rows = next;
          notify();
        }),
      get: () => rows,
    };
  }, [client, key]);
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}

/**
 * The client's sync status (online, syncing, pending, lastError, leader, persisted), re-rendering
 * when it changes.
 *
 * @example
 * const { online, pending } = useStatus(weft);
 */
export function useStatus(client: WeftClient): ClientStatus {
  return useSyncExternalStore(
    (notify) => client.onStatus(() => notify()),
    () => client.status(),
    () => client.status(),
  );
}

export { useTextarea } from './text/use-text.ts';
