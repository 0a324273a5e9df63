import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresForFile } from '../../tests/support/postgres-for-file.ts';
import type { CheckpointStore } from './checkpoint-store.ts';
import { memoryCheckpoints } from './memory-checkpoints.ts';
import { postgresCheckpoints } from './postgres-checkpoints.ts';
import { sqliteCheckpoints } from './sqlite-checkpoints.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'weft-checkpoints-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = {
  seq: 3,
  scope: 'board:a',
  type: 'cardAdded',
  data: { cardId: 'x' },
  commandId: 'c',
  clientId: 'k',
  at: 1,
};
const entry = { reaction: 'r', auditId: 7, scope: 'board:a', events: [event], error: 'boom', attempts: 3, parkedAt: 5 };

/** The `CheckpointStore` contract; `reopen` returns a store over the same data (null: not durable). */
function runCheckpointContract(name: string, open: () => CheckpointStore, durable: boolean) {
  describe(`CheckpointStore contract: ${name}`, () => {
    it('starts at 0, saves and lists checkpoints', async () => {
      const store = open();
      expect(await store.get('r')).toBe(0);
      await store.save('r', 4);
      await store.save('q', 2);
      expect(await store.get('r')).toBe(4);
      expect((await store.list()).sort((a, b) => a.reaction.localeCompare(b.reaction))).toEqual([
        { reaction: 'q', auditId: 2 },
        { reaction: 'r', auditId: 4 },
      ]);
      await store.close();
    });

    it('parks with the checkpoint in one step, updates by id, and unparks', async () => {
      const store = open();
      const id = await store.park(entry, 9);
      expect(await store.get('r')).toBe(9);
      expect(await store.parked('r')).toEqual([{ ...entry, id }]);
      expect(await store.parked('other')).toEqual([]);
      await store.park({ ...entry, id, error: 'again', attempts: 6 });
      expect((await store.parked('r'))[0]).toMatchObject({ id, error: 'again', attempts: 6 });
      await store.close();
      if (durable) {
        const reopened = open();
        expect(await reopened.get('r')).toBe(9);
        expect(await reopened.parked('r')).toHaveLength(1);
        await reopened.unpark('r', id);
        expect(await reopened.parked('r')).toEqual([]);
        await reopened.close();
      }
    });
  });
}

runCheckpointContract('memory', memoryCheckpoints, false);
const file = path.join(dir, 'checkpoints.db');
runCheckpointContract('sqlite', () => sqliteCheckpoints({ file }), true);

const pg = postgresForFile();
runCheckpointContract('postgres', () => postgresCheckpoints({ connectionString: pg.url, schema: 'contract' }), true);

describe('postgresCheckpoints leases', () => {
  it('lets one store at a time hold a reaction, and frees it when that store closes', async () => {
    const a = postgresCheckpoints({ connectionString: pg.url, schema: 'leases' });
    const b = postgresCheckpoints({ connectionString: pg.url, schema: 'leases' });
    try {
      expect(await a.lease?.('mailer')).toBe(true);
      expect(await a.lease?.('mailer')).toBe(true);
      expect(await b.lease?.('mailer')).toBe(false);
      expect(await b.lease?.('webhook')).toBe(true);
      expect(await a.lease?.('webhook')).toBe(false);
      await a.close();
      expect(await b.lease?.('mailer')).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
