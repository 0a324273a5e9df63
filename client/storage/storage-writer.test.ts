import { describe, expect, it, vi } from 'vitest';
import { systemClock } from '../base/index.ts';
import { todo } from '../testing/todo-app.ts';
import type { OutboxRecord, StorageCommit } from './client-storage.ts';
import { memoryStorage } from './memory-storage.ts';
import { StorageWriter } from './storage-writer.ts';

const record = (seq: number): OutboxRecord => ({
  seq,
  id: `c${seq}`,
  name: 'touch',
  args: {},
  at: 0,
  scope: 's',
  baseSeq: 0,
  digest: '',
});

function setup(commit?: (change: StorageCommit) => Promise<void>) {
  const storage = memoryStorage({ tables: todo.tables });
  const calls: StorageCommit[] = [];
  const real = storage.commit.bind(storage);
  storage.commit = (change) => {
    calls.push(change);
    return commit ? commit(change) : real(change);
  };
  const errors: unknown[] = [];
  const writer = new StorageWriter(storage, {
    clock: systemClock,
    random: () => 0,
    onError: (error) => errors.push(error),
    onRecovered: () => errors.push('recovered'),
  });
  return { storage, calls, errors, writer };
}

describe('StorageWriter', () => {
  it('groups the appends of one macrotask, and those made during a commit, into one transaction each', async () => {
    const releases: Array<() => void> = [];
    const { calls, writer } = setup(() => new Promise<void>((resolve) => releases.push(resolve)));
    const first = [writer.append(record(1)), writer.append(record(2))];
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const second = [writer.append(record(3)), writer.append(record(4))];
    releases.shift()?.();
    await Promise.all(first);
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    releases.shift()?.();
    await Promise.all(second);
    expect(calls.map((change) => change.outbox?.map((r) => r.seq))).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(calls.map((change) => change.lastSeq)).toEqual([2, 4]);
  });

  it('keeps the order of appends and other writes', async () => {
    const { calls, writer } = setup();
    const done = [writer.append(record(1)), writer.write({ trim: [1] }), writer.append(record(2))];
    await Promise.all(done);
    expect(calls.map((change) => Object.keys(change).sort().join())).toEqual([
      'lastSeq,outbox',
      'trim',
      'lastSeq,outbox',
    ]);
  });

  it('retries a failed commit before anything queued after it, and reports the failure once', async () => {
    let failures = 2;
    const { calls, errors, writer } = setup(async (change) => {
      if (change.trim && failures-- > 0) throw Object.assign(new Error('full'), { name: 'QuotaExceededError' });
    });
    const done = [writer.append(record(1)), writer.write({ trim: [1] }), writer.append(record(2))];
    await Promise.all(done);
    expect(calls.map((change) => (change.trim ? 'trim' : 'append'))).toEqual([
      'append',
      'trim',
      'trim',
      'trim',
      'append',
    ]);
    expect(errors).toHaveLength(2); // one report for two failed tries, then the recovery
    expect(errors.at(-1)).toBe('recovered');
  });

  it('commits what is queued when closed', async () => {
    const { writer, storage } = setup();
    const durable = writer.append(record(1));
    await writer.close();
    await durable;
    const state = await storage.load({ scopes: [], newClientId: () => 'c' });
    expect(state.outbox.map((r) => r.seq)).toEqual([1]);
  });
});
