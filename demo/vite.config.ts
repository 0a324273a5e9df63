import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The demo web app: `vite build --config demo/vite.config.ts` writes dist/demo, which
 * scripts/build-demo.mjs then gives a service worker. `vite --config demo/vite.config.ts`
 * serves it for development, with /v1 proxied to a weft server on port 8787 (`npm start`).
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('../dist/demo', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:8787' } },
});
