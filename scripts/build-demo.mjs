// Builds the demo web app into dist/demo (Vite, demo/vite.config.ts), then writes its service
// worker with Workbox: it precaches the app shell, so a visited page loads with no network.
// `npm start` runs this before serving dist/demo from the weft server.
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { generateSW } from 'workbox-build';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = `${root}dist/demo`;

// Always a production build, whatever the caller's NODE_ENV (vitest sets it to `test`, which
// would leave `import.meta.env.PROD` false and the service worker unregistered).
process.env.NODE_ENV = 'production';
await build({ configFile: `${root}demo/vite.config.ts`, mode: 'production', logLevel: 'warn' });

const { count, size, warnings } = await generateSW({
  globDirectory: outDir,
  globPatterns: ['**/*.{html,js,css,svg,png,ico,webmanifest}'],
  globIgnores: ['sw.js', 'workbox-*.js'],
  swDest: `${outDir}/sw.js`,
  // Any page of the app (`/?board=…`) is the shell; the API never comes from the cache.
  navigateFallback: '/index.html',
  navigateFallbackDenylist: [/^\/v1\//u, /^\/metrics/u],
  ignoreURLParametersMatching: [/^board$/u, /^utm_/u],
  // Hashed file names: Vite's assets never need revalidating.
  dontCacheBustURLsMatching: /\/assets\//u,
  skipWaiting: true,
  clientsClaim: true,
  cleanupOutdatedCaches: true,
  inlineWorkboxRuntime: true,
  sourcemap: false,
  mode: 'production',
});
for (const warning of warnings) console.warn(`build-demo: ${warning}`);
console.log(
  `build-demo: dist/demo built; the service worker precaches ${count} files (${Math.round(size / 1024)} KiB)`,
);
