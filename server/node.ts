/**
 * weft/server/node: serving the Hono app on Node with server-wide caps (connections, header and
 * request time) that a Hono app alone cannot set. Needs the optional peer `@hono/node-server`.
 * Runtimes other than Node (Deno, Bun, workers) serve `createServer(...).fetch` their own way.
 */
export { nodeServerOptions, type ServeNodeOptions, serveNode } from './node-serve.ts';
