/**
 * The page the Chromium query test drives: the query property (`tests/support/query-arbitraries.ts`)
 * against `dexieStorage` on the browser's own IndexedDB, exposed as `window.runQueryProperty`.
 */
import fc from 'fast-check';
import { dexieStorage } from '../../../client/storage/dexie-storage.ts';
import { canonicalJson } from '../../../shared/index.ts';
import { queryStoreProperty, queryTables, storageUnderTest } from '../../support/query-arbitraries.ts';

export interface QueryPage {
  /** Runs the property with `seed`; resolves to null when it holds, else fast-check's report. */
  runQueryProperty(seed: number, numRuns: number): Promise<string | null>;
}

let databases = 0;

const page: QueryPage = {
  async runQueryProperty(seed, numRuns) {
    const property = queryStoreProperty(
      () => storageUnderTest(dexieStorage({ name: `query-${databases++}`, tables: queryTables })),
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
