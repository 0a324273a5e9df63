import { afterEach, describe, expect, it, vi } from 'vitest';
import { kanban } from '../demo/app.ts';
import { demoAuth } from '../demo/auth.ts';
import { createServer, type EventStore, type Limits, type ServerOptions } from '../server/index.ts';
import { sagaCommandId } from '../server/reactions/saga-commands.ts';
import { sqliteStore } from '../server/sqlite.ts';
import type { PushCommand, WireEvent } from '../shared/index.ts';
import { commandFactory } from './support/http.ts';

/**
 * Issue 15: what an attack run on `npm start` found, each answered in-process (the routes'
 * behaviour; `server-node-caps.test.ts` covers the socket-level caps).
 */
const ADMIN = 'test-admin';
const stores: EventStore[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const store of stores.splice(0)) await store.close();
});

function start(limits: Partial<Limits> = {}, extra: Partial<ServerOptions> = {}) {
  const store = sqliteStore({ file: ':memory:' });
  stores.push(store);
  const log: Array<{ method: string; path: string; status: number }> = [];
  const server = createServer({
    app: kanban,
    store,
    auth: demoAuth({ adminToken: ADMIN }),
    limits: { requestsPerSecond: 1e6, requestBurst: 1e6, ...limits },
    log: (entry) => log.push(entry),
    ...extra,
  });
  const as = (token: string, address = '10.0.0.1') => {
    const env = { incoming: { socket: { remoteAddress: address } } };
    const headers = { authorization: `Bearer ${token}` };
    return {
      request: (path: string, init: RequestInit = {}) =>
        server.request(path, { ...init, headers: { ...headers, ...(init.headers as object) } }, env),
      push: (body: unknown) =>
        server.request(
          '/v1/push',
          {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: typeof body === 'string' ? body : JSON.stringify(body),
          },
          env,
        ),
    };
  };
  const metric = async (line: RegExp) => {
    const text = await (await as(ADMIN).request('/metrics')).text();
    return text.split('\n').find((l) => line.test(l));
  };
  return { server, store, log, as, metric };
}

async function board(client: ReturnType<ReturnType<typeof start>['as']>, clientId: string, boardId: string) {
  const commands = commandFactory(clientId);
  const setup = [
    commands.next('createBoard', { boardId, title: 'Board' }),
    commands.next('addColumn', { boardId, columnId: `${boardId}-todo`, title: 'To do' }),
  ];
  const res = await client.push({ clientId, commands: setup });
  expect(res.status).toBe(200);
  return commands;
}

describe('HEAD and OPTIONS on /v1/live (finding 1)', () => {
  it('never open a stream: no slot, subscription or timer is held afterwards', async () => {
    const { as, metric } = start({ maxLiveConnectionsPerUser: 2 });
    const user = as('demo:header');
    for (let i = 0; i < 40; i++) {
      const head = await user.request('/v1/live?scope=board%3Ah%3A0', { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toContain('text/event-stream');
      const options = await user.request('/v1/live?scope=board%3Ah%3A0', { method: 'OPTIONS' });
      expect(options.status).toBe(404);
    }
    expect(await metric(/^weft_live_connections /u)).toBe('weft_live_connections 0');
    // The user's two slots are still free.
    const streams = [
      await user.request('/v1/live?scope=board%3Ah%3A0'),
      await user.request('/v1/live?scope=board%3Ah%3A0'),
    ];
    expect(streams.map((s) => s.status)).toEqual([200, 200]);
    for (const stream of streams) await stream.body?.cancel();
  });
});

describe('server-issued command ids (finding 2)', () => {
  it('refuses a client push of an id in the reserved namespace, where every saga command id lives', async () => {
    const { as, store } = start();
    const user = as('demo:squatter');
    const cause = { scope: 'board:b1', seq: 7 } as WireEvent;
    const sagaId = sagaCommandId('archiveLog', cause, 'archiveCard', 0);
    expect(sagaId.startsWith('reaction:')).toBe(true);
    const hashed = sagaCommandId('archiveLog', { ...cause, scope: `board:${'x'.repeat(200)}` }, 'archiveCard', 0);
    expect(hashed.startsWith('reaction:')).toBe(true);
    const squat = commandFactory('squat-1').next('createBoard', { boardId: 'b1', title: 'mine' }, { id: sagaId });
    const res = await user.push({ clientId: 'squat-1', commands: [squat] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    const lookup = await store.lookupClient('squat-1', { seqs: [1], commandIds: [sagaId] });
    expect(lookup.results).toEqual([]);
  });
});

describe('args as stored (finding 3)', () => {
  it('stores the schema output, without unknown fields, and a resend with other junk is a duplicate', async () => {
    const { as } = start();
    const user = as('demo:junk');
    const commands = await board(user, 'junk-1', 'jb');
    const add = commands.next('addCard', {
      boardId: 'jb',
      cardId: 'c1',
      columnId: 'jb-todo',
      title: 'real',
      junk: 'x'.repeat(10_000),
    });
    expect((await user.push({ clientId: 'junk-1', commands: [add] })).status).toBe(200);
    const audit = (await (await as(ADMIN).request('/v1/audit?scope=board%3Ajb')).json()) as {
      records: Array<{ commandId: string; args: unknown }>;
    };
    const record = audit.records.find((r) => r.commandId === add.id);
    expect(record?.args).toEqual({ boardId: 'jb', cardId: 'c1', columnId: 'jb-todo', title: 'real' });
    const resend = { ...add, args: { ...(add.args as object), junk: 'other' } };
    const again = await user.push({ clientId: 'junk-1', commands: [resend] });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { results: Array<{ duplicate?: boolean }> }).results[0]?.duplicate).toBe(true);
  });

  it('settles a command whose args are over the byte cap as rejected, runs nothing, and stores a bounded record', async () => {
    const { as, store } = start({ maxArgsBytes: 120 });
    const user = as('demo:bigargs');
    const commands = await board(user, 'big-1', 'bb');
    const big = commands.next('addCard', { boardId: 'bb', cardId: 'c1', columnId: 'bb-todo', title: 'é'.repeat(60) });
    const next = commands.next('addCard', { boardId: 'bb', cardId: 'c2', columnId: 'bb-todo', title: 'ok' });
    const res = await user.push({ clientId: 'big-1', commands: [big, next] });
    expect(res.status).toBe(200);
    const results = ((await res.json()) as { results: Array<{ status: string; code?: string }> }).results;
    expect(results.map((r) => r.code ?? r.status)).toEqual(['payload_too_large', 'applied']);
    const events = (await store.readEvents('board:bb', 0, 100)).events;
    expect(events.map((e) => e.commandId)).not.toContain(big.id);
    const audit = (await (await as(ADMIN).request('/v1/audit?scope=board%3Abb')).json()) as {
      records: Array<{ commandId: string; args: unknown; outcome: string }>;
    };
    const record = audit.records.find((r) => r.commandId === big.id);
    expect(record?.outcome).toBe('rejected');
    expect(JSON.stringify(record?.args).length).toBeLessThan(200);
    expect(JSON.stringify(record?.args)).not.toContain('é');
    // A resend of the same command is recognised as such.
    const again = await user.push({ clientId: 'big-1', commands: [big] });
    expect(((await again.json()) as { results: Array<{ duplicate?: boolean }> }).results[0]?.duplicate).toBe(true);
  });
});

describe('a long push (finding 4)', () => {
  it('lets a health check that arrives meanwhile answer before the push has run its commands', async () => {
    let health: Promise<Response> | undefined;
    let armed = false;
    const order: string[] = [];
    const { as } = start(
      { pushSliceMs: 0 },
      {
        faults: (point) => {
          if (point === 'push.afterRun' && health) order.push('commands run');
          // The health check arrives like a request off the network: in a later turn of the event loop.
          if (point === 'push.afterAuthorize' && armed) {
            armed = false;
            setImmediate(() => {
              health = Promise.resolve(as('demo:ops').request('/v1/health')).then((res) => {
                order.push('health');
                return res;
              });
            });
          }
        },
      },
    );
    const user = as('demo:long');
    const commands = await board(user, 'long-1', 'lb');
    armed = true;
    const adds: PushCommand[] = [];
    for (let i = 0; i < 200; i++) {
      adds.push(commands.next('addCard', { boardId: 'lb', cardId: `c${i}`, columnId: 'lb-todo', title: `card ${i}` }));
    }
    const push = Promise.resolve(user.push({ clientId: 'long-1', commands: adds })).then((res) => {
      order.push('push');
      return res;
    });
    expect((await push).status).toBe(200);
    while (!health) await new Promise((resolve) => setImmediate(resolve));
    expect((await health).status).toBe(200);
    // The push's commit waits a turn of the event loop anyway (group commit): what matters is
    // that the health check does not wait for the 200 commands to run.
    expect(order).toEqual(['health', 'commands run', 'push']);
  });
});

describe('server-wide live stream cap (finding 5)', () => {
  it('answers 503 with Retry-After once the server holds its most streams, whoever asks', async () => {
    const { as } = start({ maxLiveStreams: 2 });
    const open = [
      await as('demo:a').request('/v1/live?scope=board%3As%3A0'),
      await as('demo:b').request('/v1/live?scope=board%3As%3A0'),
    ];
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    const third = await as('demo:c').request('/v1/live?scope=board%3As%3A0');
    expect(third.status).toBe(503);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    await open[0]?.body?.cancel();
    let again = await as('demo:c').request('/v1/live?scope=board%3As%3A0');
    // The slot is released once the server sees the stream's end, a turn of the event loop later.
    for (let i = 0; again.status !== 200 && i < 20; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      again = await as('demo:c').request('/v1/live?scope=board%3As%3A0');
    }
    expect(again.status).toBe(200);
    await again.body?.cancel();
    await open[1]?.body?.cancel();
  });
});

describe('failed authentications (finding 5)', () => {
  it('are throttled per address with 429 and Retry-After, checked before the token', async () => {
    const { as } = start({ authFailureBurst: 3, authFailuresPerSecond: 0.01 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await as(`bad token ${i}`, '10.9.9.9').request('/v1/pull?scope=board%3Ax&after=0')).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const limited = await as('demo:valid', '10.9.9.9').request('/v1/pull?scope=board%3Ax&after=0');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address, and the metrics route, are judged on their own.
    expect((await as('bad', '10.1.1.1').request('/v1/pull?scope=board%3Ax&after=0')).status).toBe(401);
    expect((await as('demo:valid', '10.1.1.1').request('/v1/pull?scope=board%3Ax&after=0')).status).toBe(200);
    expect((await as('bad', '10.9.9.9').request('/metrics')).status).toBe(429);
  });
});

describe('__proto__ (finding 6)', () => {
  it('refuses the key in any spelling, stores nothing, and accepts the string value', async () => {
    const { as, store } = start();
    const user = as('demo:proto');
    const commands = await board(user, 'proto-1', 'pb');
    const spelled = JSON.stringify({
      clientId: 'proto-1',
      commands: [
        commands.next('addCard', { boardId: 'pb', cardId: 'c1', columnId: 'pb-todo', title: 't', SENTINEL: 1 }),
      ],
    }).replace('"SENTINEL"', '"\\u005f_proto__"');
    const refused = await user.push(spelled);
    expect(refused.status).toBe(400);
    expect((await store.readEvents('board:pb', 0, 100)).head).toBe(2);
    const fresh = commandFactory('proto-2');
    const titled = fresh.next('addCard', { boardId: 'pb', cardId: 'c2', columnId: 'pb-todo', title: '__proto__' });
    const res = await user.push({ clientId: 'proto-2', commands: [titled] });
    expect(res.status).toBe(200);
    const events = (await store.readEvents('board:pb', 2, 100)).events;
    expect(events.map((e) => (e.data as { title: string }).title)).toEqual(['__proto__']);
  });
});

describe('an aborted upload (finding 7)', () => {
  it('is a client error 499, logged once, never a 500 with a stack trace', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { server, log, metric } = start();
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(new TextEncoder().encode('{"clientId":"ab-1","commands":['));
        } else controller.error(new Error('aborted'));
      },
    });
    const res = await server.request(
      '/v1/push',
      {
        method: 'POST',
        headers: { authorization: 'Bearer demo:aborter', 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit,
      { incoming: { socket: { remoteAddress: '10.0.0.2' } } },
    );
    expect(res.status).toBe(499);
    expect(errors).not.toHaveBeenCalled();
    expect(log.filter((entry) => entry.path === '/v1/push')).toEqual([
      expect.objectContaining({ method: 'POST', status: 499 }),
    ]);
    expect(await metric(/status="500"/u)).toBeUndefined();
    expect(await metric(/route="\/v1\/push",status="499"/u)).toMatch(/ 1$/u);
  });
});

describe('a pipelined commit (issue 15, throughput)', () => {
  it('lets the next push build on a queued commit, and fails it over to the store when that commit fails', async () => {
    const store = sqliteStore({ file: ':memory:' });
    stores.push(store);
    let calls = 0;
    let secondQueued: () => void = () => {};
    const second = new Promise<void>((resolve) => {
      secondQueued = resolve;
    });
    // The first push's commit fails, but only once the second push has queued its own on top of it.
    const failing: EventStore = Object.assign(Object.create(store) as EventStore, {
      commit(request: Parameters<EventStore['commit']>[0]) {
        calls++;
        if (calls === 2) return second.then(() => Promise.reject(new Error('disk full')));
        if (calls === 3) secondQueued();
        return store.commit(request);
      },
    });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const server = createServer({
      app: kanban,
      store: failing,
      auth: demoAuth({ adminToken: ADMIN }),
      limits: { requestsPerSecond: 1e6, requestBurst: 1e6 },
    });
    const request = (token: string, path: string, body?: unknown) =>
      server.request(path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const setup = commandFactory('setup');
    await request('demo:a', '/v1/push', {
      clientId: 'setup',
      commands: [
        setup.next('createBoard', { boardId: 'pp', title: 'Board' }),
        setup.next('addColumn', { boardId: 'pp', columnId: 'pp-todo', title: 'To do' }),
      ],
    });
    const card = (clientId: string, cardId: string) => ({
      clientId,
      commands: [
        commandFactory(clientId).next('addCard', { boardId: 'pp', cardId, columnId: 'pp-todo', title: cardId }),
      ],
    });
    const [lost, kept] = await Promise.all([
      request('demo:a', '/v1/push', card('first', 'lost')),
      request('demo:b', '/v1/push', card('second', 'kept')),
    ]);
    expect(lost.status).toBe(500);
    expect(errors).toHaveBeenCalled();
    expect(kept.status).toBe(200);
    const [result] = ((await kept.json()) as { results: Array<{ events: WireEvent[] }> }).results;
    // The second push ran on the first one's state (its commit was call 3 of 4: it retried).
    expect(calls).toBe(4);
    expect(result?.events.map((e) => e.seq)).toEqual([3]);
    const stored = await store.readEvents('board:pp', 0, 100);
    expect(stored.events.map((e) => (e.data as { cardId?: string }).cardId ?? e.type)).toEqual([
      'boardCreated',
      'columnAdded',
      'kept',
    ]);
    const snapshot = (await (await request('demo:a', '/v1/snapshot?scope=board%3App')).json()) as {
      seq: number;
      rows: { cards: Array<{ cardId: string }> };
    };
    expect(snapshot.seq).toBe(3);
    expect(snapshot.rows.cards.map((c) => c.cardId)).toEqual(['kept']);
  });
});
