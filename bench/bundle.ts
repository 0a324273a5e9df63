import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSize, workerBundleSize } from './client/build.ts';
import { type BenchRow, printTable } from './report.ts';

const HERE = fileURLToPath(new URL('./bundle', import.meta.url));

/**
 * What weft weighs in an app (issue 14): the page's share (`createClient` and the React hooks,
 * React itself external, since the app has it) and the worker (`exposeWeftWorker(kanban)`),
 * each minified and gzipped as an app's Vite build ships it, beside Replicache's whole client
 * bundled the same way in the same run. Sizes are deterministic, so one build each.
 */
export async function benchBundle(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-bundle-'));
  try {
    console.log('bench: bundle sizes (vite build, library mode, minified, gzip -9): page, worker, Replicache ...');
    const page = await bundleSize(path.join(HERE, 'page-entry.ts'), path.join(dir, 'page'), ['react', 'react-dom']);
    const worker = await workerBundleSize(path.join(dir, 'worker'));
    const replicache = await bundleSize(path.join(HERE, 'replicache-entry.ts'), path.join(dir, 'replicache'));
    const kb = (bytes: number) => bytes / 1000;
    const rows: BenchRow[] = [
      {
        what: "weft's added page weight (createClient + useQuery/useStatus; no engine, no Dexie), gzipped",
        value: kb(page.gzip),
        unit: 'kB',
        spread: `${kb(page.raw).toFixed(1)} kB raw`,
        target: { text: '≤ 12 kB', met: kb(page.gzip) <= 12 },
      },
      {
        what: 'weft worker (exposeWeftWorker(kanban): engine, Dexie, sync, tabs, the app), gzipped',
        value: kb(worker.gzip),
        unit: 'kB',
        floor: { what: 'Replicache, whole client', value: kb(replicache.gzip) },
        spread: `${kb(worker.raw).toFixed(1)} kB raw; Replicache ${kb(replicache.raw).toFixed(1)} kB raw`,
        target: { text: "≤ Replicache's whole bundle", met: worker.gzip <= replicache.gzip },
      },
    ];
    return printTable('Bundle sizes (what an app ships)', rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
