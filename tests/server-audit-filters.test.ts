import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_OUTCOMES, type AuditRecord, type AuditResponse } from '../shared/index.ts';
import { api } from './support/http.ts';
import { seedBoard } from './support/kanban.ts';
import { ADMIN_TOKEN, type RunningServer, startServer, tempDir } from './support/server-process.ts';

/**
 * Issue 5: every filter of GET /v1/audit, alone and combined, with pagination, returns exactly
 * the records a reference filter over the whole log picks, in write order.
 */
let server: RunningServer;
let all: AuditRecord[] = [];
let clock = 1_000;
const temp = tempDir();

beforeAll(async () => {
  server = await startServer(`${temp.dir}/audit-filters.db`, { now: () => (clock += 10) });
  const ann = await seedBoard(server.url, 'ann', 'af-ann', 'af1');
  const bob = await seedBoard(server.url, 'bob', 'af-bob', 'af2');
  for (let i = 0; i < 4; i++) {
    await ann.client.push({
      clientId: 'af-ann',
      commands: [ann.commands.next('addCard', { boardId: 'af1', cardId: `a${i}`, columnId: ann.doing, title: 'A' })],
    });
    await bob.client.push({
      clientId: 'af-bob',
      commands: [
        bob.commands.next('addCard', { boardId: 'af2', cardId: `b${i}`, columnId: bob.todo, title: 'B' }),
        bob.commands.next('renameCard', { boardId: 'af2', cardId: `b${i}`, title: 'B2' }, { digest: 'other' }),
      ],
    });
  }
  const res = await api(server.url, ADMIN_TOKEN).get<AuditResponse>('/v1/audit?limit=1000');
  all = res.json.records;
});
afterAll(async () => {
  await server.stop();
  temp.dispose();
});

interface Filter {
  scope?: string;
  outcome?: string;
  client?: string;
  user?: string;
  command?: string;
  since?: number;
  until?: number;
}

function reference(filter: Filter): AuditRecord[] {
  return all.filter(
    (r) =>
      (filter.scope === undefined || r.scope === filter.scope) &&
      (filter.outcome === undefined || r.outcome === filter.outcome) &&
      (filter.client === undefined || r.clientId === filter.client) &&
      (filter.user === undefined || r.userId === filter.user) &&
      (filter.command === undefined || r.name === filter.command) &&
      (filter.since === undefined || r.recordedAt >= filter.since) &&
      (filter.until === undefined || r.recordedAt < filter.until),
  );
}

async function pageThrough(filter: Filter, limit: number): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  let after: number | null = 0;
  for (let pages = 0; after !== null; pages++) {
    expect(pages).toBeLessThan(100);
    const query = new URLSearchParams(Object.entries(filter).map(([key, value]) => [key, String(value)]));
    query.set('limit', String(limit));
    query.set('after', String(after));
    const res = await api(server.url, ADMIN_TOKEN).get<AuditResponse>(`/v1/audit?${query}`);
    expect(res.status).toBe(200);
    expect(res.json.records.length).toBeLessThanOrEqual(limit);
    out.push(...res.json.records);
    after = res.json.next;
  }
  return out;
}

describe('audit filters and pagination', () => {
  it('the log holds every outcome the scenario produced', () => {
    expect(new Set(all.map((r) => r.outcome))).toEqual(new Set(['clean', 'rejected', 'diverged']));
    expect(all.map((r) => r.id)).toEqual([...all.map((r) => r.id)].sort((a, b) => a - b));
  });

  it('each filter alone returns exactly the matching records', async () => {
    const times = all.map((r) => r.recordedAt);
    const middle = times[Math.floor(times.length / 2)] ?? 0;
    for (const filter of [
      { scope: 'board:af1' },
      { outcome: 'rejected' },
      { outcome: 'diverged' },
      { client: 'af-bob' },
      { user: 'ann' },
      { command: 'renameCard' },
      { since: middle },
      { until: middle },
      { since: middle, until: middle + 30 },
    ] satisfies Filter[]) {
      const expected = reference(filter);
      expect(expected.length).toBeGreaterThan(0);
      expect(await pageThrough(filter, 1000)).toEqual(expected);
    }
  });

  it('any combination of filters, paged at any size, returns exactly the reference records', async () => {
    const times = [...new Set(all.map((r) => r.recordedAt))];
    const filter = fc.record(
      {
        scope: fc.constantFrom('board:af1', 'board:af2', 'board:none'),
        outcome: fc.constantFrom(...AUDIT_OUTCOMES),
        client: fc.constantFrom('af-ann', 'af-bob'),
        user: fc.constantFrom('ann', 'bob', 'nobody'),
        command: fc.constantFrom('addCard', 'renameCard', 'createBoard'),
        since: fc.constantFrom(...times),
        until: fc.constantFrom(...times),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(filter, fc.integer({ min: 1, max: 7 }), async (f, limit) => {
        expect(await pageThrough(f, limit)).toEqual(reference(f));
      }),
      { numRuns: 40 },
    );
  });
});
