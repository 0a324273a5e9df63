import type { Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { kanban } from '../demo/app.ts';
import { demoAuth } from '../demo/auth.ts';
import { createServer, type EventStore, type Limits, type RequestLogEntry } from '../server/index.ts';
import { serveNode } from '../server/node.ts';
import { sqliteStore } from '../server/sqlite.ts';

/**
 * Issue 15, finding 5: the socket-level caps of `serveNode` (what `npm start` serves with):
 * a connection over `maxConnections` is answered 503 with Retry-After, and clients that send
 * their headers or body too slowly are answered 408 and cut off, instead of holding a file
 * descriptor for minutes.
 */
const running: Array<{ server: Server; store: EventStore; sockets: Socket[] }> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const { server, store, sockets } of running.splice(0)) {
    for (const socket of sockets) socket.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
  }
});

async function start(limits: Partial<Limits>, log: (entry: RequestLogEntry) => void = () => {}) {
  const store = sqliteStore({ file: ':memory:' });
  const app = createServer({ app: kanban, store, auth: demoAuth({ adminToken: 'admin' }), limits, log });
  const sockets: Socket[] = [];
  const server = await new Promise<Server>((resolve) => {
    const listening = serveNode({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', limits }, () => resolve(listening));
  });
  running.push({ server, store, sockets });
  const { port } = server.address() as AddressInfo;
  /** A raw connection, and everything the server sends on it until it closes. */
  const open = async () => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    await new Promise((resolve) => socket.once('connect', resolve));
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString();
    });
    const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
    socket.on('error', () => {});
    return { socket, closed };
  };
  return { open };
}

const HEALTH = 'GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n';

describe('serveNode caps', () => {
  it('answers a connection over maxConnections with 503 and Retry-After, then closes it', async () => {
    const { open } = await start({ maxConnections: 2 });
    const held = [await open(), await open()];
    const extra = await open();
    extra.socket.write(HEALTH);
    const answer = await extra.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 503 /u);
    expect(answer).toMatch(/\r\nretry-after: \d+\r\n/iu);
    expect(answer).toContain('"unavailable"');
    // The connections within the cap are served.
    held[0]?.socket.write(HEALTH.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
    expect(await held[0]?.closed).toMatch(/^HTTP\/1\.1 200 /u);
  });

  it('cuts off a client that sends its headers too slowly with 408', async () => {
    const { open } = await start({ headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const slow = await open();
    slow.socket.write('GET /v1/health HTTP/1.1\r\nHost: x\r\n');
    expect(await slow.closed).toMatch(/^HTTP\/1\.1 408 /u);
  });

  it('cuts off a client that sends its body too slowly with 408', async () => {
    const { open } = await start({ headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const slow = await open();
    slow.socket.write(
      'POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo:slow\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"clientId":',
    );
    expect(await slow.closed).toMatch(/^HTTP\/1\.1 408 /u);
  });

  it('logs an upload its client aborts once, as 499, with no stack trace', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    let logged: (entry: RequestLogEntry) => void = () => {};
    const entry = new Promise<RequestLogEntry>((resolve) => {
      logged = resolve;
    });
    const { open } = await start({}, (e) => logged(e));
    const aborting = await open();
    aborting.socket.write(
      'POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo:quitter\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"clientId":',
    );
    // Let the server start reading the body, then hang up.
    await new Promise((resolve) => setTimeout(resolve, 50));
    aborting.socket.destroy();
    expect(await entry).toMatchObject({ method: 'POST', path: '/v1/push', status: 499 });
    expect(errors).not.toHaveBeenCalled();
  });
});
