import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';

/**
 * Serves the test page with Vite's dev server on a loopback port, proxying `/v1` to the weft
 * server at `apiUrl` so that the page, its worker and the API share one origin.
 */
export async function servePage(apiUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const root = fileURLToPath(new URL('.', import.meta.url));
  const server: ViteDevServer = await createServer({
    configFile: false,
    root,
    logLevel: 'warn',
    clearScreen: false,
    server: {
      host: '127.0.0.1',
      port: 0,
      strictPort: false,
      hmr: false,
      ws: false,
      proxy: { '/v1': { target: apiUrl, changeOrigin: true } },
      fs: { allow: [fileURLToPath(new URL('../../..', import.meta.url))] },
    },
    // Dexie ships UMD: pre-bundle the dependencies once, before the page asks (no reload).
    optimizeDeps: { include: ['dexie', 'comlink', 'valibot', 'idb-keyval', 'fractional-indexing', 'fast-check'] },
    cacheDir: mkdtempSync(path.join(tmpdir(), 'weft-vite-')),
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('the page server has no port');
  return { url: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}
