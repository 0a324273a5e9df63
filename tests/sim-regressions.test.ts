import { describe, expect, it } from 'vitest';
import { announce, faultyNetwork, problemsOf, runKanban } from './support/sim-kanban.ts';

/**
 * Seeds the simulator has been run with, replayed on every run of the suite: each entry is a
 * configuration and a seed (`SIM_SEED=<seed>` with the matching test replays it with its log).
 * A seed that ever exposes a bug is shrunk (fewer operations, fewer clients) and pinned here,
 * with a line saying what it found.
 *
 * None has found a bug yet; these pin runs that crossed crash points, partitions and the storm,
 * so a change that breaks them shows at once.
 */
const FAULTY = faultyNetwork({ latency: [1, 25], lost: 0.05, copied: 0.5, maxCopies: 5, timeoutMs: 400 });

const REGRESSIONS: ReadonlyArray<{ seed: number; clients: number; ops: number; what: string }> = [
  { seed: 42, clients: 3, ops: 150, what: 'three clients, crashes and partial partitions' },
  { seed: 494517360, clients: 5, ops: 120, what: 'five clients, crashes and partial partitions' },
];

describe('simulator regressions', () => {
  for (const { seed, clients, ops, what } of REGRESSIONS) {
    it(`seed ${seed}: ${what}`, async () => {
      announce('sim-regression', seed);
      const result = await runKanban({
        seed,
        clients,
        ops,
        faults: FAULTY,
        chaos: async (sim, op) => {
          const client = sim.rng.pick(sim.clients);
          if (!client.alive) await client.open();
          else if (op % 50 === 49) client.crash();
          else if (sim.rng.chance(0.1)) sim.network.setLink(client.name, sim.rng.chance(0.5), sim.rng.chance(0.5));
        },
      });
      expect(problemsOf(`seed ${seed}`, result)).toBe('');
    }, 30_000);
  }
});
