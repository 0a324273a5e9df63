import { afterEach, describe, expect, it } from 'vitest';
import type { CommandUpdate } from '../base/index.ts';
import { ClosedError } from '../base/index.ts';
import type { Engine, FeedBatch } from '../engine/index.ts';
import { MemoryTransport, switchableTransport } from '../sync/index.ts';
import { engineBackend, parseTabMessage } from '../tabs/index.ts';
import { fakeServer, openClient, until } from '../testing/harness.ts';
import type { TodoApp } from '../testing/todo-app.ts';
import { EngineClient } from './engine-client.ts';
import { type Event, parseEvents, parseRequests, type Request } from './engine-protocol.ts';
import { serveEngine } from './engine-server.ts';
import { parseFromWorker, parseToWorker } from './worker-protocol.ts';

const engines: Engine<TodoApp>[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

const submit = { kind: 'submit', callId: 1, id: 'c1', name: 'add', args: { listId: 'a' } };
const update = { kind: 'update', update: { id: 'c1', stage: 'durable' } };

/** A feed batch of one row change, with `change` overriding its fields. */
function feedBatch(change: Record<string, unknown> = {}) {
  return {
    reset: false,
    tables: [{ scope: 'list:a', table: 'items', rows: [{ itemId: 'i0', text: 'kept' }] }],
    rows: [{ scope: 'list:a', table: 'items', key: 'i1', row: { itemId: 'i1', text: 'new' }, ...change }],
  };
}

/** Malformed items: each must fail in a message of either carrier, alone or beside a good one. */
const badRequests: unknown[] = [
  { kind: 'submit' },
  { ...submit, callId: -1 },
  { ...submit, id: 'x'.repeat(201) },
  { ...submit, at: Number.NaN },
  { kind: 'call', callId: 1, call: { method: 'drop' } },
  { kind: 'call', callId: 1, call: { method: 'query', query: { table: 5 } } },
  { kind: 'subscribe', subId: 1, query: { table: 'items', limit: -1 } },
  { kind: 'feed', subId: 1, scopes: 'list:a' },
  { kind: 'unsubscribe' },
  { kind: 'nope' },
  null,
];
const badEvents: unknown[] = [
  { kind: 'update', update: { id: 'c1', stage: 'weird' } },
  { kind: 'reply', callId: 'one', ok: true },
  { kind: 'rows', subId: 1, rows: 'no' },
  { kind: 'feed', subId: 1, batch: { reset: 'yes', tables: [], rows: [] } },
  // Rows are checked in place (not copied by a schema), and still refused when malformed.
  { kind: 'rows', subId: 1, rows: [null] },
  { kind: 'rows', subId: 1, rows: [['itemId', 'i1']] },
  { kind: 'feed', subId: 1, batch: { ...feedBatch(), tables: [{ scope: 'list:a', table: 'items', rows: [5] }] } },
  { kind: 'feed', subId: 1, batch: feedBatch({ row: 'text' }) },
  { kind: 'feed', subId: 1, batch: feedBatch({ row: JSON.parse('{"__proto__": {"polluted": true}}') }) },
  { kind: 'feed', subId: 1, batch: feedBatch({ key: undefined }) },
  { kind: 'feed', subId: 1, batch: feedBatch({ scope: '' }) },
  { kind: 'feed', subId: 1, batch: feedBatch({ table: 7 }) },
  { kind: 'feed', subId: 1, batch: { ...feedBatch(), rows: [null] } },
  { kind: 'status', status: { online: 'yes' } },
  { kind: 'rejected', rejection: { id: 'c1' } },
  42,
];

describe('the engine protocol: malformed messages are refused on every carrier', () => {
  it('accepts well-formed items, alone and inside each carrier envelope', () => {
    expect(parseRequests([submit]).ok).toBe(true);
    expect(parseEvents([update]).ok).toBe(true);
    const feed = { kind: 'feed', subId: 1, batch: feedBatch() };
    const deleted = { kind: 'feed', subId: 1, batch: feedBatch({ row: null }) };
    expect(parseEvents([feed, deleted, { kind: 'rows', subId: 2, rows: [{ itemId: 'i1' }] }]).ok).toBe(true);
    // Checked in place: the rows arrive as they were sent, not rebuilt.
    const parsed = parseEvents([feed]);
    expect(parsed.ok && (parsed.value[0] as typeof feed).batch.rows[0]?.row).toBe(feed.batch.rows[0]?.row);
    expect(parseToWorker({ kind: 'engine', items: [submit] }).ok).toBe(true);
    expect(parseFromWorker({ kind: 'engine', items: [update] }).ok).toBe(true);
    expect(parseTabMessage({ kind: 'toLeader', from: 't1', to: 'l1/0', items: [submit] }).ok).toBe(true);
    expect(parseTabMessage({ kind: 'fromLeader', leader: 'l1/0', to: 't1', items: [update] }).ok).toBe(true);
  });

  it('refuses a message with one malformed item, whatever else it carries, on both carriers', () => {
    for (const bad of badRequests) {
      const items = [submit, bad];
      expect(parseRequests(items).ok, JSON.stringify(bad)).toBe(false);
      expect(parseToWorker({ kind: 'engine', items }).ok, JSON.stringify(bad)).toBe(false);
      expect(parseTabMessage({ kind: 'toLeader', from: 't1', to: 'l1/0', items }).ok, JSON.stringify(bad)).toBe(false);
    }
    for (const bad of badEvents) {
      const items = [update, bad];
      expect(parseEvents(items).ok, JSON.stringify(bad)).toBe(false);
      expect(parseFromWorker({ kind: 'engine', items }).ok, JSON.stringify(bad)).toBe(false);
      expect(parseTabMessage({ kind: 'fromLeader', leader: 'l/0', to: 't', items }).ok, JSON.stringify(bad)).toBe(
        false,
      );
    }
  });

  it('refuses malformed envelopes: wrong kind, missing addresses, items not an array, requests sent as events', () => {
    for (const bad of [
      { kind: 'engine', items: [update] }, // events are not requests
      { kind: 'engine', items: submit },
      { kind: 'open', config: { url: '', scopes: [], dbName: 'd' }, auth: false },
      { kind: 'token', tokenId: -1 },
      { kind: 'opened', status: {} },
    ])
      expect(parseToWorker(bad).ok, JSON.stringify(bad)).toBe(false);
    for (const bad of [
      { kind: 'engine', items: [submit] },
      { kind: 'opened', status: { online: true } },
    ])
      expect(parseFromWorker(bad).ok, JSON.stringify(bad)).toBe(false);
    for (const bad of [
      { kind: 'toLeader', from: 't1', items: [submit] },
      { kind: 'toLeader', from: 't1', to: 'l', items: [update] },
      { kind: 'fromLeader', leader: 'l', to: 't', items: [submit] },
      { kind: 'hello', from: 'x'.repeat(201) },
    ])
      expect(parseTabMessage(bad).ok, JSON.stringify(bad)).toBe(false);
  });
});

/**
 * `EngineClient` and `serveEngine` over a real MessageChannel, each end validating what it
 * receives as the carriers do: the engine API crosses unchanged.
 */
async function overChannel() {
  const server = fakeServer();
  const transport = switchableTransport(new MemoryTransport(server.handle));
  const { engine } = await openClient<TodoApp>(server, { transport: transport as unknown as MemoryTransport });
  engines.push(engine);
  const backend = engineBackend(engine, transport, async () => undefined);
  const { port1, port2 } = new MessageChannel();
  const served = serveEngine(backend, (items: Event[]) => port2.postMessage(items));
  const client = new EngineClient((items: Request[]) => port1.postMessage(items));
  const refused: string[] = [];
  port2.onmessage = (event) => {
    const parsed = parseRequests(event.data);
    if (parsed.ok) served.receive(parsed.value);
    else refused.push(parsed.error.message);
  };
  port1.onmessage = (event) => {
    const parsed = parseEvents(event.data);
    if (parsed.ok) client.receive(parsed.value);
    else refused.push(parsed.error.message);
  };
  return { engine, client, port1, port2, refused };
}

describe('the engine API over a carrier', () => {
  it('runs a burst under the ids the caller chose, feeds its rows before the answers, and reports each stage', async () => {
    const { client, port1, port2 } = await overChannel();
    const batches: FeedBatch[] = [];
    client.feed(['list:a'], (batch) => batches.push(batch));
    const updates: CommandUpdate[] = [];
    // Three items, then 47 renames of the first: the list holds at most three.
    const commands = Array.from({ length: 50 }, (_, i) =>
      i < 3
        ? { name: 'add', args: { listId: 'a', itemId: `i${i}`, text: 'new' } }
        : { name: 'rename', args: { listId: 'a', itemId: 'i0', text: `r${i}` } },
    );
    const fedText = () =>
      batches
        .flatMap((batch) => batch.rows)
        .filter((change) => change.key === 'i0')
        .map((change) => change.row?.text)
        .at(-1);
    const answers = await Promise.all(
      commands.map(({ name, args }, i) =>
        client.submit(`c${i}`, name, args, (u) => updates.push(u)).then((accepted) => ({ accepted, text: fedText() })),
      ),
    );
    expect(answers.map(({ accepted }) => accepted)).toEqual(answers.map((_, i) => ({ ok: true, id: `c${i}` })));
    // Each rename's row reached the feed before its answer was handled (the burst runs in slices).
    answers.forEach(({ text }, i) => {
      if (i >= 3) expect(Number(String(text).slice(1))).toBeGreaterThanOrEqual(i);
    });
    expect(fedText()).toBe('r49');
    expect(await client.query({ table: 'items' })).toHaveLength(3);
    await until(() => updates.filter((u) => u.stage === 'confirmed').length === 50, 'every command confirmed');
    // Confirmed under the ids the caller chose.
    const confirmed = updates.filter((u) => u.stage === 'confirmed').map((u) => u.id);
    expect(new Set(confirmed)).toEqual(new Set(answers.map((_, i) => `c${i}`)));
    // A refused command is answered as refused, and nothing follows it.
    const refused = await client.submit('bad', 'add', { listId: 'a', itemId: 'i1', text: 'again' }, (u) =>
      updates.push(u),
    );
    expect(refused).toMatchObject({ ok: false, id: 'bad', code: 'ALREADY_EXISTS' });
    port1.close();
    port2.close();
  });

  it('ignores a forged or garbled message and reports it: the engine runs nothing from it', async () => {
    const { engine, client, port1, port2, refused } = await overChannel();
    port1.postMessage([{ kind: 'submit', callId: 1, id: 'forged', name: 'add' }]); // no args: not a request
    port1.postMessage([
      { ...submit, id: 'ok-then-bad' },
      { kind: 'submit', callId: -3 },
    ]);
    const rows = await client.query({ table: 'items' });
    expect(rows).toEqual([]);
    expect(engine.pending()).toEqual([]);
    expect(refused).toHaveLength(2);
    for (const message of refused) expect(message).toMatch(/weft: ignored a malformed engine request/);
    port1.close();
    port2.close();
  });

  it('at close, ends every command not settled as closed and rejects unanswered calls; at a leader change, settles nothing', () => {
    const heard: CommandUpdate[] = [];
    const closing = new EngineClient(() => undefined);
    const answer = closing.submit('c1', 'add', {}, (u) => heard.push(u));
    const query = closing.query({ table: 'items' });
    closing.dispose(new ClosedError());
    expect(heard).toEqual([{ id: 'c1', stage: 'rejected', code: 'closed', message: expect.any(String) }]);
    const moving = new EngineClient(() => undefined);
    void moving.submit('c2', 'add', {}, (u) => heard.push(u));
    moving.dispose(); // the session resends c2 to the next leader
    expect(heard).toHaveLength(1);
    return Promise.all([
      expect(answer).rejects.toBeInstanceOf(ClosedError),
      expect(query).rejects.toBeInstanceOf(ClosedError),
    ]);
  });
});
