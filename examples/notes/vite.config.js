import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The page and its module worker (`new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`
// in src/main.tsx), built into dist/ for server.mjs to serve. During `vite dev`, /v1 goes to the
// weft server on port 8788.
export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  server: { proxy: { '/v1': 'http://127.0.0.1:8788' } },
});
