import type { Clock, CommandUpdate } from '../base/index.ts';
import type { RejectedRecord, StorageWriterOptions } from '../storage/index.ts';
import { describeStorageError } from '../storage/index.ts';
import type { StatusStore, SyncStatus } from '../sync/index.ts';
import type { PendingCommand } from './outbox.ts';
import type { EngineCore } from './reconciler.ts';

/**
 * What the engine does when storage fails it (TEST-PLAN S01–S04, G16): it says so once in
 * status, refuses the commands it could not make durable (their effects leave the overlay),
 * and in the in-memory fallback it never calls a command durable before the server has it.
 */

/** How the engine's storage came up, as status reports it at open. */
export function openingStatus(
  memoryFallback: string | undefined,
  storageLost: boolean,
  at: number,
): Pick<SyncStatus, 'storage' | 'storageLost'> & { lastError?: SyncStatus['lastError'] } {
  if (memoryFallback !== undefined) {
    const message = `IndexedDB could not be opened (${memoryFallback}): nothing is kept on this device`;
    return { storage: 'memory', storageLost: false, lastError: { code: 'not_persisted', message, at } };
  }
  if (!storageLost) return { storage: 'ok', storageLost: false };
  const message = "this device's database was gone at open (evicted or deleted): work not synced before may be lost";
  return { storage: 'ok', storageLost: true, lastError: { code: 'storage_lost', message, at } };
}

/** The writer's failure callbacks: status shows the failure once, and clears it on recovery. */
export function reportStorageFailures(
  status: StatusStore,
  clock: Clock,
): Pick<StorageWriterOptions, 'onError' | 'onRecovered'> {
  const isStorageError = (code: string | undefined) => code === 'storage_full' || code === 'storage_failed';
  return {
    onError(error) {
      const { code, message } = describeStorageError(error);
      status.update({
        storage: code === 'storage_full' ? 'full' : 'failed',
        lastError: { code, message, at: clock.now() },
      });
    },
    onRecovered() {
      const { lastError, storage } = status.get();
      if (storage === 'memory') return;
      status.update({ storage: 'ok', ...(isStorageError(lastError?.code) ? { lastError: null } : {}) });
    },
  };
}

/**
 * Refuses a command whose outbox row could not be written: it leaves the outbox, its effect
 * leaves the overlay (one rebase for all the commands of a failed group commit), and its
 * listeners and `onRejected` hear `storage_full` or `storage_failed` once that rebase is done.
 * Its seq is not reused: the server answers the gap with `seq_gap` and the outbox renumbers.
 */
export function undurableRefuser(
  core: EngineCore,
  rebaseAll: () => void,
): (command: PendingCommand, error: unknown) => void {
  let rebased: Promise<void> | null = null;
  return (command, error) => {
    const { outbox, lifecycle, status, clock } = core;
    if (!outbox.get(command.id)) return;
    outbox.remove([command.id]);
    status.update({ pending: outbox.size });
    // The other commands of the failed commit are refused in the microtasks queued before this one.
    rebased ??= new Promise<void>((resolve) =>
      queueMicrotask(() => {
        rebased = null;
        rebaseAll();
        resolve();
      }),
    );
    const { code, message } = describeStorageError(error);
    const { id, seq, name, args, scope } = command;
    const record: RejectedRecord = {
      status: 'rejected',
      id,
      seq,
      name,
      args,
      scope,
      code,
      message: `not stored on this device: ${message}`,
      settledAt: clock.now(),
    };
    lifecycle.settle(record, rebased);
  };
}

/**
 * In the in-memory fallback a command is durable only once the server has stored it: the
 * listener hears `durable` right before `confirmed`, and never on its own.
 */
export function durableWhenConfirmed(listener: (update: CommandUpdate) => void): (update: CommandUpdate) => void {
  return (update) => {
    if (update.stage === 'durable') return;
    if (update.stage === 'confirmed') listener({ id: update.id, stage: 'durable' });
    listener(update);
  };
}
