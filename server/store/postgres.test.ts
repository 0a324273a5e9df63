import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresForFile } from '../../tests/support/postgres-for-file.ts';
import { runEventStoreContract } from './contract.ts';
import { postgresStore } from './postgres.ts';
import { MIGRATIONS } from './postgres-schema.ts';

const server = postgresForFile();

// Each store gets a schema of its own in one database: a fresh, empty store per test.
let n = 0;
runEventStoreContract('postgres', () => postgresStore({ connectionString: server.url, schema: `contract_${++n}` }));

describe('postgresStore', () => {
  it('migrates once and records the version; a second node finds the schema ready', async () => {
    const [a, b] = await Promise.all([
      postgresStore({ connectionString: server.url, schema: 'twice' }),
      postgresStore({ connectionString: server.url, schema: 'twice' }),
    ]);
    expect(a.schemaVersion).toBe(MIGRATIONS.length);
    expect(b.schemaVersion).toBe(MIGRATIONS.length);
    await Promise.all([a.close(), b.close()]);
    const again = await postgresStore({ connectionString: server.url, schema: 'twice' });
    expect(again.schemaVersion).toBe(MIGRATIONS.length);
    await again.close();
  });

  it('brings a database written by the first release up to date, keeping its events, and commits on it', async () => {
    const pool = new pg.Pool({ connectionString: server.url });
    try {
      await pool.query('CREATE SCHEMA v1 ');
      await pool.query(`SET search_path = v1; ${MIGRATIONS[0]}`);
      await pool.query(`SET search_path = v1;
        CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO schema_migrations (version) VALUES (1);
        INSERT INTO heads VALUES ('s', 1);
        INSERT INTO events VALUES ('s', 1, 'added', '{"id":"a"}', 'cmd-0', 'c0', 5);`);
    } finally {
      await pool.end();
    }
    const store = await postgresStore({ connectionString: server.url, schema: 'v1' });
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    const committed = await store.commit({
      outcomes: [
        {
          clientId: 'c1',
          userId: 'u1',
          seq: 1,
          commandId: 'cmd-1',
          name: 'add',
          args: { id: 'b' },
          argsJson: '{"id":"b"}',
          at: 6,
          scope: 's',
          status: 'applied',
          events: [{ type: 'added', data: { id: 'b' } }],
          code: null,
          message: null,
          audit: { recordedAt: 7, baseSeq: 1, headSeq: 1, intervenedCount: 0, intervened: [], outcome: 'clean' },
        },
      ],
      expectedHeads: new Map([['s', 1]]),
      expectedClientSeqs: new Map([['c1', 0]]),
    });
    expect(committed.events[0]?.map((e) => e.seq)).toEqual([2]);
    const { events, head } = await store.readEvents('s', 0, 10);
    expect(head).toBe(2);
    expect(events.map((e) => [e.seq, e.commandId])).toEqual([
      [1, 'cmd-0'],
      [2, 'cmd-1'],
    ]);
    await store.close();
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
