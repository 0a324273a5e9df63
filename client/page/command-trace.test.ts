import { describe, expect, it } from 'vitest';
import { INITIAL_STATUS } from '../sync/index.ts';
import { todo } from '../testing/todo-app.ts';
import type { CommandTrace } from './command-trace.ts';
import { clientOn } from './create-client.ts';
import type { Port } from './engine-port.ts';

/** A port whose engine accepts every command and lets the test play its later stages. */
function scriptedPort() {
  const listeners = new Map<string, Parameters<Port['engine']['submit']>[3]>();
  const port: Port = {
    initial: { ...INITIAL_STATUS, leader: true },
    engine: {
      async submit(id, _name, _args, listener) {
        listeners.set(id, listener);
        return { ok: true, id };
      },
      query: async () => [],
      subscribe: () => () => undefined,
      feed: () => () => undefined,
      onStatus: () => () => undefined,
      onRejected: () => () => undefined,
      rejections: async () => [],
      dismiss: async () => undefined,
      setOnline: async () => undefined,
    },
    close: async () => undefined,
  };
  return { port, listeners };
}

describe('WeftClient.onCommand', () => {
  it('traces executed (name, args, scope), applied, durable and the settlement of each command, in order', async () => {
    const { port, listeners } = scriptedPort();
    const client = clientOn(todo, port);
    const traces: CommandTrace[] = [];
    const stop = client.onCommand((trace) => traces.push(trace));
    const args = { listId: 'a', itemId: 'i1', text: 'milk' };
    const run = client.execute('add', args);
    await run.applied;
    listeners.get(run.id)?.({ id: run.id, stage: 'durable' });
    listeners.get(run.id)?.({ id: run.id, stage: 'rejected', code: 'LIST_FULL', message: 'full' });
    await run.confirmed.catch(() => undefined);
    expect(traces.map((t) => t.stage)).toEqual(['executed', 'applied', 'durable', 'rejected']);
    expect(traces[0]).toMatchObject({ id: run.id, name: 'add', args, scope: 'list:a' });
    expect(traces[3]).toMatchObject({ code: 'LIST_FULL', message: 'full' });
    for (const trace of traces) expect(typeof trace.at).toBe('number');

    stop();
    client.execute('add', { listId: 'a', itemId: 'i2', text: 'eggs' });
    expect(traces).toHaveLength(4);
  });

  it('traces a command refused by the engine as rejected, and nothing for one refused by validation', async () => {
    const { port } = scriptedPort();
    const refusing: Port = {
      ...port,
      engine: { ...port.engine, submit: async (id) => ({ ok: false, id, code: 'LIST_FULL', message: 'full' }) },
    };
    const client = clientOn(todo, refusing);
    const traces: CommandTrace[] = [];
    client.onCommand((trace) => traces.push(trace));
    await client.execute('add', { listId: 'a', itemId: 'i1', text: 'milk' }).applied.catch(() => undefined);
    expect(traces.map((t) => t.stage)).toEqual(['executed', 'rejected']);
    // Bad args never reach the engine: there is no command to trace.
    await client.execute('add', { listId: 7 } as never).applied.catch(() => undefined);
    expect(traces).toHaveLength(2);
  });
});
