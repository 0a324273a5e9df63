import fc from 'fast-check';
import { expect } from 'vitest';
import { type QueryStoreUnderTest, queryStoreProperty } from './query-arbitraries.ts';

export * from './query-arbitraries.ts';

/** Runs the query property against fresh stores from `make` (see `queryStoreProperty`). */
export async function checkQueryStore(
  make: () => QueryStoreUnderTest | Promise<QueryStoreUnderTest>,
  numRuns?: number,
): Promise<void> {
  await fc.assert(
    queryStoreProperty(make, (actual, wanted, query) => expect(actual, JSON.stringify(query)).toEqual(wanted)),
    numRuns === undefined ? {} : { numRuns },
  );
}
