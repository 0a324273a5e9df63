import { existsSync } from 'node:fs';
import path from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Env, Hono } from 'hono';

/** Where `npm run build:demo` (scripts/build-demo.mjs) writes the demo web app. */
export const DEMO_DIST = path.resolve(import.meta.dirname, '../dist/demo');

/**
 * Serves the built demo app from `dir` at `/` beside the API (the /v1 routes, registered
 * earlier, answer first). Without a build it answers `/` with a short note instead. Returns
 * whether the app is served.
 */
export function serveDemo<E extends Env>(server: Hono<E>, dir: string = DEMO_DIST): boolean {
  if (!existsSync(path.join(dir, 'index.html'))) {
    server.get('/', (c) =>
      c.text(
        [
          'weft server (demo app: kanban)',
          '',
          'POST /v1/push  GET /v1/pull  GET /v1/live  GET /v1/audit  GET /v1/health',
          'Authorization: Bearer demo:<your-name>',
          '',
          'The demo web app is not built: run `npm run build:demo` (or `npm start`).',
        ].join('\n'),
      ),
    );
    return false;
  }
  // serveStatic takes a root relative to the working directory.
  const root = path.relative(process.cwd(), dir) || '.';
  server.use('*', async (c, next) => {
    await next();
    // The page and its service worker are revalidated; Vite's hashed assets never change.
    if (c.req.path.startsWith('/assets/')) c.res.headers.set('cache-control', 'public, max-age=31536000, immutable');
    else if (c.res.headers.get('content-type')?.match(/html|javascript/u) && !c.req.path.startsWith('/v1/'))
      c.res.headers.set('cache-control', 'no-cache');
  });
  server.get('*', serveStatic({ root }));
  return true;
}
