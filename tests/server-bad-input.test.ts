import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kanban } from '../demo/app.ts';
import { bearerAuth } from '../server/index.ts';
import { defineApp, type PullResponse } from '../shared/index.ts';
import { api, commandFactory, storeState } from './support/http.ts';
import { seedBoard } from './support/kanban.ts';
import { type RunningServer, startServer, tempDir } from './support/server-process.ts';

/** The kanban app plus one broken command whose handler emits an event its schema refuses. */
const buggy = defineApp({
  ...kanban,
  commands: {
    ...kanban.commands,
    brokenRename: {
      args: v.object({ boardId: v.string(), cardId: v.string() }),
      scope: (args: { boardId: string }) => `board:${args.boardId}`,
      run: (ctx, args: { cardId: string }) => ctx.emit('cardRenamed', { cardId: args.cardId, title: '' }),
    },
  },
});

let server: RunningServer;
const temp = tempDir();
let board: Awaited<ReturnType<typeof seedBoard>>;
const scopes = ['board:bad', 'board:other'];
const clients = ['bad-1', 'bad-2'];

beforeAll(async () => {
  server = await startServer(`${temp.dir}/bad.db`, {
    app: buggy,
    limits: { maxBodyBytes: 1024 * 1024, maxBatch: 1000, maxDepth: 64 },
    auth: bearerAuth({
      verify: (token) => (token.startsWith('demo:') ? { userId: token.slice(5) } : null),
      authorize: (principal, right, scope) =>
        principal.userId !== 'ann' ||
        !((right === 'write' && scope === 'board:readonly') || scope.startsWith('board:secret')),
    }),
  });
  board = await seedBoard(server.url, 'ann', 'bad-1', 'bad');
  await board.client.push({
    clientId: 'bad-1',
    commands: [board.commands.next('addCard', { boardId: 'bad', cardId: 'k', columnId: board.todo, title: 'K' })],
  });
});
afterAll(async () => {
  await server.stop();
  temp.dispose();
});

/** A valid next command of bad-1 that does not advance its counter: every case below is refused. */
const nextAdd = () => ({
  id: `bad-1-attempt-${board.commands.seq}`,
  seq: board.commands.seq,
  name: 'addCard',
  args: { boardId: 'bad', cardId: 'new', columnId: board.todo, title: 'N' },
  at: 1_700_000_000_000,
  baseSeq: 0,
});

async function expectNothingChanged(
  send: () => Promise<{ status: number; code: string | undefined }>,
  status: number,
  code: string,
) {
  const before = await storeState(server.store, scopes, clients);
  const res = await send();
  expect(res.status).toBe(status);
  expect(res.code).toBe(code);
  expect(await storeState(server.store, scopes, clients)).toBe(before);
  // The server keeps serving.
  const health = await api(server.url, null).get<{ ok: boolean }>('/v1/health');
  expect(health.json.ok).toBe(true);
}

const rawPush = async (body: string, headers: Record<string, string>) => {
  const res = await fetch(`${server.url}/v1/push`, { method: 'POST', headers, body });
  const json = (await res.json()) as { error?: { code: string; message: string } };
  expect(typeof json.error?.message).toBe('string');
  expect(json.error?.message).not.toMatch(/\n\s+at /u);
  return { status: res.status, code: json.error?.code };
};
const authed = { authorization: 'Bearer demo:ann', 'content-type': 'application/json' };
const push = async (body: unknown, token = 'demo:ann') => {
  const res = await api(server.url, token).push(body);
  return { status: res.status, code: res.json.error?.code };
};

describe('bad input gets a clear error and changes nothing', () => {
  it('malformed JSON', () =>
    expectNothingChanged(() => rawPush('{"clientId": "bad-1", "commands": [', authed), 400, 'bad_request'));
  it('invalid UTF-8', () =>
    expectNothingChanged(
      async () => {
        const res = await fetch(`${server.url}/v1/push`, {
          method: 'POST',
          headers: authed,
          body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
        });
        return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code };
      },
      400,
      'bad_request',
    ));
  it('wrong content type', () =>
    expectNothingChanged(
      () =>
        rawPush(JSON.stringify({ clientId: 'bad-1', commands: [nextAdd()] }), {
          ...authed,
          'content-type': 'text/plain',
        }),
      415,
      'unsupported_media_type',
    ));
  it('a top level that is not an object, and fields of the wrong type', async () => {
    await expectNothingChanged(() => push([1, 2, 3]), 400, 'bad_request');
    await expectNothingChanged(() => push({ clientId: 42, commands: [] }), 400, 'bad_request');
    await expectNothingChanged(
      () => push({ clientId: 'bad-1', commands: [{ ...nextAdd(), seq: 'four' }] }),
      400,
      'bad_request',
    );
  });
  it('an unknown command', () =>
    expectNothingChanged(
      () => push({ clientId: 'bad-1', commands: [{ ...nextAdd(), name: 'dropDatabase' }] }),
      404,
      'unknown_command',
    ));
  it('a command named after an Object.prototype member', () =>
    expectNothingChanged(
      () => push({ clientId: 'bad-1', commands: [{ ...nextAdd(), name: 'toString' }] }),
      404,
      'unknown_command',
    ));
  it('schema-invalid args', async () => {
    await expectNothingChanged(
      () => push({ clientId: 'bad-1', commands: [{ ...nextAdd(), args: { boardId: 'bad' } }] }),
      400,
      'bad_request',
    );
    await expectNothingChanged(
      () =>
        push({
          clientId: 'bad-1',
          commands: [
            { ...nextAdd(), args: { boardId: 'bad', cardId: 'x', columnId: board.todo, title: 'y'.repeat(201) } },
          ],
        }),
      400,
      'bad_request',
    );
  });
  it('a __proto__ key anywhere in the body', async () => {
    await expectNothingChanged(
      () =>
        rawPush(
          `{"clientId":"bad-1","commands":[{"id":"p1","seq":9,"name":"addCard","args":{"__proto__":{"polluted":true}},"at":1,"baseSeq":0}]}`,
          authed,
        ),
      400,
      'bad_request',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('a body over the size limit, declared or streamed without a length', async () => {
    const big = JSON.stringify({
      clientId: 'bad-1',
      commands: [{ ...nextAdd(), args: { pad: 'x'.repeat(1024 * 1024) } }],
    });
    await expectNothingChanged(() => rawPush(big, authed), 413, 'payload_too_large');
    await expectNothingChanged(
      async () => {
        const bytes = new TextEncoder().encode(big);
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 65536) controller.enqueue(bytes.slice(i, i + 65536));
            controller.close();
          },
        });
        const res = await fetch(`${server.url}/v1/push`, {
          method: 'POST',
          headers: authed,
          body,
          duplex: 'half',
        } as RequestInit);
        return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code };
      },
      413,
      'payload_too_large',
    );
  });
  it('a batch over the count limit', () => {
    const many = commandFactory('bad-1', 100);
    const commands = Array.from({ length: 1001 }, () =>
      many.next('renameCard', { boardId: 'bad', cardId: 'k', title: 't' }),
    );
    return expectNothingChanged(() => push({ clientId: 'bad-1', commands }), 413, 'payload_too_large');
  });
  it('JSON nested deeper than the limit', () => {
    const deep = `${'['.repeat(65)}${']'.repeat(65)}`;
    return expectNothingChanged(
      () =>
        rawPush(
          `{"clientId":"bad-1","commands":[{"id":"d","seq":9,"name":"addCard","args":${deep},"at":1,"baseSeq":0}]}`,
          authed,
        ),
      400,
      'bad_request',
    );
  });
  it('a missing or wrong token', async () => {
    await expectNothingChanged(
      () =>
        rawPush(JSON.stringify({ clientId: 'bad-1', commands: [nextAdd()] }), { 'content-type': 'application/json' }),
      401,
      'unauthorized',
    );
    await expectNothingChanged(
      () => push({ clientId: 'bad-1', commands: [nextAdd()] }, 'not-a-demo-token'),
      401,
      'unauthorized',
    );
    const pull = await api(server.url, null).get<PullResponse>('/v1/pull?scope=board%3Abad');
    expect(pull.status).toBe(401);
  });
  it('a scope the user may not write, even as one command in a batch', async () => {
    const fresh = commandFactory('bad-2');
    const commands = [
      fresh.next('createBoard', { boardId: 'other', title: 'fine' }),
      fresh.next('createBoard', { boardId: 'readonly', title: 'forbidden' }),
    ];
    await expectNothingChanged(() => push({ clientId: 'bad-2', commands }), 403, 'forbidden');
  });
  it('a pull or live stream of a scope the user may not read', async () => {
    const eve = await seedBoard(server.url, 'eve', 'eve-1', 'secret');
    expect(eve.scope).toBe('board:secret');
    const ann = api(server.url, 'demo:ann');
    const pull = await ann.get<PullResponse>('/v1/pull?scope=board%3Asecret');
    const unknown = await ann.get<PullResponse>('/v1/pull?scope=board%3Asecret-never-created');
    expect(pull.status).toBe(403);
    expect(pull.json).toEqual(unknown.json);
    const live = await ann.raw('/v1/live?scope=board%3Asecret%3A0');
    expect(live.status).toBe(403);
  });
  it('a clientId that belongs to another user', () =>
    expectNothingChanged(() => push({ clientId: 'bad-1', commands: [nextAdd()] }, 'demo:mallory'), 403, 'forbidden'));
});

describe('a handler that emits a schema-invalid event', () => {
  it('stores no event: the command settles as rejected with invalid_event and is audited', async () => {
    const events = async () => (await board.client.get<PullResponse>('/v1/pull?scope=board%3Abad')).json;
    const before = await events();
    const broken = board.commands.next('brokenRename', { boardId: 'bad', cardId: 'k' });
    const res = await board.client.push({ clientId: 'bad-1', commands: [broken] });
    expect(res.status).toBe(200);
    expect(res.json.results).toEqual([
      {
        id: broken.id,
        seq: broken.seq,
        status: 'rejected',
        code: 'invalid_event',
        message: expect.stringContaining('cardRenamed'),
      },
    ]);
    expect(await events()).toEqual(before);
  });
});
