// The notes server in plain JavaScript: `node server.mjs`. The weft API under /v1, the built
// page (dist/, from `npm run build`) beside it, one SQLite file under ./data.
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { bearerAuth, createServer } from 'weft/server';
import { sqliteStore } from 'weft/server/sqlite';
import { notes } from './src/app.js';

const port = Number(process.env.PORT ?? 8788);
const store = sqliteStore({ file: process.env.NOTES_DB ?? 'data/notes.db' });
// Every token is a user here; a real app verifies it (a session, a JWT) and restricts scopes.
const auth = bearerAuth({
  verify: (token) => ({ userId: token }),
  authorize: (principal, right, scope) => scope.startsWith('book:') && (right !== 'audit' || principal.admin === true),
});

const server = createServer({ app: notes, store, auth });
// The API routes are registered first, so they answer /v1; everything else is the page.
server.get('*', serveStatic({ root: './dist' }));

const listener = serve({ fetch: server.fetch, port, hostname: '127.0.0.1' }, (info) => {
  console.log(`notes: listening on http://127.0.0.1:${info.port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    listener.close();
    void store.close().finally(() => process.exit(0));
  });
}
