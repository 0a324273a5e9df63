import { describe, expect, it } from 'vitest';
import { CommandError, toExecution } from './execution.ts';

describe('toExecution', () => {
  it('a locally refused command rejects all three promises, and only applied goes unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const execution = toExecution(() => ({ ok: false, id: 'c1', code: 'WIP_LIMIT', message: 'full' }));
      await expect(execution.applied).rejects.toBeInstanceOf(CommandError);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
      await expect(execution.durable).rejects.toMatchObject({ code: 'WIP_LIMIT' });
      await expect(execution.confirmed).rejects.toMatchObject({ code: 'WIP_LIMIT', message: 'full' });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a server rejection rejects confirmed with its code without an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let track: ((update: never) => void) | null = null;
      const execution = toExecution((listener) => {
        track = listener as never;
        return { ok: true, id: 'c2', seq: 1 };
      });
      await execution.applied;
      (track as unknown as (u: unknown) => void)({ id: 'c2', stage: 'rejected', code: 'NOT_FOUND', message: 'gone' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
      await expect(execution.confirmed).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
