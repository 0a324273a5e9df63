/**
 * The page the Chromium query test drives: the query property (`tests/support/query-arbitraries.ts`)
 * against `dexieStorage` on the browser's own IndexedDB, exposed as `window.runQueryProperty`.
 */
import fc from 'fast-check';
import { dexieStorage } from '../../../client/dexie-storage.ts';
import { canonicalJson } from '../../../shared/index.ts';
import { queryStoreProperty, queryTables } from '../../../tests/support/query-arbitraries.ts';

export interface QueryPage {
  /** Runs the property with `seed`; resolves to null when it holds, else fast-check's report. */
  runQueryProperty(seed: number, numRuns: number): Promise<string | null>;
}

let databases = 0;

const page: QueryPage = {
  async runQueryProperty(seed, numRuns) {
    const property = queryStoreProperty(
      async () => {
        const storage = dexieStorage({ name: `query-${databases++}`, tables: queryTables });
        await storage.load({ scopes: ['s'], newClientId: () => 'c' });
        await storage.commit({
          rows: [{ table: 'items', scope: 't', key: 'a', row: { id: 'a', g: 'x', n: 1, s: 'a' } }],
        });
        return {
          apply: (ops) =>
            storage.commit({
              rows: ops.map((op) =>
                op.kind === 'put'
                  ? { table: 'items', scope: 's', key: op.row.id, row: op.row }
                  : { table: 'items', scope: 's', key: op.id, row: null },
              ),
            }),
          query: (q) => storage.queryRows('items', 's', q),
        };
      },
      (actual, expected, query) => {
        if (canonicalJson(actual) !== canonicalJson(expected)) {
          throw new Error(
            `${JSON.stringify(query)}: got ${canonicalJson(actual)}, expected ${canonicalJson(expected)}`,
          );
        }
      },
    );
    const result = await fc.check(property, { seed, numRuns });
    return result.failed ? (fc.defaultReportMessage(result) ?? 'failed') : null;
  },
};
Object.assign(window, page);
document.body.dataset.ready = 'yes';
