import { isAbsolute } from 'node:path';
import { defineConfig } from 'vite';

/**
 * `npm run build`: weft's public entries as ESM for apps that install the package (their own
 * bundler, or plain `node` on the server). Every package import stays external, so the app
 * resolves dexie, hono or the drivers once, from its own node_modules; shared code between
 * entries lands in chunks, so the page entry never pulls the worker's engine. The `.d.ts`
 * come from `tsc -p tsconfig.build.json` beside this.
 */
export const ENTRIES = {
  index: 'shared/public.ts',
  'client/index': 'client/index.ts',
  'client/worker': 'client/worker-entry.ts',
  'client/react': 'client/react.ts',
  'server/index': 'server/index.ts',
  'server/sqlite': 'server/sqlite.ts',
  'server/postgres': 'server/postgres.ts',
  'testing/index': 'testing/index.ts',
  cli: 'server/cli/main.ts',
} as const;

export default defineConfig({
  logLevel: 'warn',
  build: {
    outDir: 'dist/lib',
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: false,
    copyPublicDir: false,
    lib: { entry: ENTRIES, formats: ['es'], fileName: (_format, name) => `${name}.js` },
    rolldownOptions: {
      external: (id) => !id.startsWith('.') && !isAbsolute(id) && !id.startsWith('\0'),
      output: { chunkFileNames: 'chunks/[name]-[hash].js' },
    },
  },
});
