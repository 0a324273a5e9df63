import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../../tests/support/postgres.ts';
import { runEventStoreContract } from './contract.ts';
import { postgresStore } from './postgres.ts';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

// Each store gets a schema of its own in one database: a fresh, empty store per test.
let n = 0;
runEventStoreContract('postgres', () => postgresStore({ connectionString: server.url, schema: `contract_${++n}` }));

describe('postgresStore', () => {
  it('migrates once and records the version; a second node finds the schema ready', async () => {
    const [a, b] = await Promise.all([
      postgresStore({ connectionString: server.url, schema: 'twice' }),
      postgresStore({ connectionString: server.url, schema: 'twice' }),
    ]);
    expect(a.schemaVersion).toBe(1);
    expect(b.schemaVersion).toBe(1);
    await Promise.all([a.close(), b.close()]);
    const again = await postgresStore({ connectionString: server.url, schema: 'twice' });
    expect(again.schemaVersion).toBe(1);
    await again.close();
  });

  it('tells the other nodes’ onAppended listeners of a commit, after it is readable, and not its own', async () => {
    const node1 = await postgresStore({ connectionString: server.url, schema: 'notify' });
    const node2 = await postgresStore({ connectionString: server.url, schema: 'notify' });
    const heard: Array<[string, number, number]> = [];
    const own: string[] = [];
    node1.onAppended((scope) => own.push(scope));
    const seen = new Promise<void>((resolve) => {
      node2.onAppended((scope, head) => {
        void node2.readEvents(scope, 0, 100).then(({ events }) => {
          heard.push([scope, head, events.length]);
          if (head === 2) resolve();
        });
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 200)); // LISTEN is connected
    const outcome = {
      clientId: 'c',
      userId: 'u',
      seq: 1,
      commandId: 'c-1',
      name: 'n',
      args: {},
      argsJson: '{}',
      at: 1,
      scope: 'board:x',
      status: 'applied' as const,
      events: [
        { type: 'a', data: 1 },
        { type: 'b', data: 2 },
      ],
      code: null,
      message: null,
      audit: { recordedAt: 1, baseSeq: 0, headSeq: 0, intervenedCount: 0, intervened: [], outcome: 'clean' as const },
    };
    await node1.commit({
      outcomes: [outcome],
      expectedHeads: new Map([['board:x', 0]]),
      expectedClientSeqs: new Map([['c', 0]]),
    });
    await seen;
    expect(heard).toEqual([['board:x', 2, 2]]);
    expect(own).toEqual([]);
    await Promise.all([node1.close(), node2.close()]);
  });
});
