import type { CheckpointStore, ParkedEvents, ParkedInput } from './checkpoint-store.ts';

/** Checkpoints in memory: for tests and for reactions that rebuild on every start. */
export function memoryCheckpoints(): CheckpointStore {
  const checkpoints = new Map<string, number>();
  const parked = new Map<number, ParkedEvents>();
  let nextId = 1;
  return {
    kind: 'memory',
    async get(reaction) {
      return checkpoints.get(reaction) ?? 0;
    },
    async save(reaction, auditId) {
      checkpoints.set(reaction, auditId);
    },
    async list() {
      return [...checkpoints].map(([reaction, auditId]) => ({ reaction, auditId }));
    },
    async park(entry: ParkedInput, checkpoint?: number) {
      const id = entry.id ?? nextId++;
      parked.set(id, { ...entry, id });
      if (checkpoint !== undefined) checkpoints.set(entry.reaction, checkpoint);
      return id;
    },
    async parked(reaction) {
      return [...parked.values()].filter((p) => p.reaction === reaction).sort((a, b) => a.id - b.id);
    },
    async unpark(reaction, id) {
      if (parked.get(id)?.reaction === reaction) parked.delete(id);
    },
    async close() {},
  };
}
