import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type PreviewServer, preview } from 'vite';

const PAGE = fileURLToPath(new URL('./page', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Builds the bench page (its weft worker, floor workers and Replicache) with `vite build` into
 * `outDir`, and serves it with `vite preview` on a loopback port, proxying `/v1` to the weft
 * server at `apiUrl` so that the page, its workers and the API share one origin.
 */
export async function servePage(outDir: string, apiUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  await build({
    configFile: false,
    root: PAGE,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
    worker: { format: 'es' },
  });
  const server: PreviewServer = await preview({
    configFile: false,
    root: PAGE,
    logLevel: 'warn',
    build: { outDir },
    preview: {
      host: '127.0.0.1',
      port: 0,
      strictPort: false,
      proxy: { '/v1': { target: apiUrl, changeOrigin: true } },
      // Cross-origin isolated: performance.now() then resolves 5 µs, not 100 µs.
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    },
  });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('the bench page server has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve) => server.httpServer.close(() => resolve())),
  };
}

/**
 * The weft worker as an app ships it: `exposeWeftWorker(kanban)` built by `vite build` in
 * library mode (ES module, minified, every dependency bundled) into `outDir`; its size in bytes,
 * raw and gzipped (node:zlib, level 9), summed over the files it emits.
 */
export function workerBundleSize(outDir: string): Promise<BundleSize> {
  return bundleSize(path.join(PAGE, 'worker.ts'), outDir);
}

export interface BundleSize {
  readonly raw: number;
  readonly gzip: number;
  readonly files: number;
}

/**
 * `entry` as an app's bundler ships it: `vite build` in library mode (ES module, minified, every
 * dependency bundled but `external`) into `outDir`; bytes raw and gzipped (level 9), summed.
 */
export async function bundleSize(
  entry: string,
  outDir: string,
  external: ReadonlyArray<string> = [],
): Promise<BundleSize> {
  await build({
    configFile: false,
    root: REPO,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: true,
      reportCompressedSize: false,
      lib: { entry, formats: ['es'], fileName: 'bundle' },
      // Library mode keeps whitespace in ES output; an app's asset is fully minified.
      rolldownOptions: {
        external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)),
        output: { minify: true },
      },
    },
  });
  let raw = 0;
  let gzip = 0;
  let files = 0;
  for (const name of readdirSync(outDir, { recursive: true }) as string[]) {
    const file = path.join(outDir, name);
    if (!statSync(file).isFile() || !/\.m?js$/u.test(name)) continue;
    const bytes = readFileSync(file);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
    files++;
  }
  return { raw, gzip, files };
}
