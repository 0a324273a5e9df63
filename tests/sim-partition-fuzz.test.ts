import { describe, expect, it } from 'vitest';
import type { Simulation } from '../client/testing/sim/index.ts';
import type { KanbanApp } from '../demo/app.ts';
import { announce, faultyNetwork, problemsOf, runKanban, SCALE, seedsFor } from './support/sim-kanban.ts';

/**
 * TEST-PLAN F08 `partition-and-reconnect-fuzz`, in the simulator: five clients write while their
 * links are cut and restored at random, inbound only, outbound only or both, for about a thousand
 * disconnect/connect cycles in virtual time; then the network heals. No upload queue stays stuck
 * (every outbox drains within the healing time, G10), no client's stored cursor ever goes back and
 * its confirmed log only grows by the next seqs (checked at every commit), and every client's log
 * and projections equal the server's and a fresh replay (G6), as the model predicts.
 */
const FAULTS = faultyNetwork({
  latency: [1, 20],
  lost: 0.02,
  lostLive: 0.01,
  copied: 0.1,
  maxCopies: 3,
  timeoutMs: 300,
});
const CLIENTS = 5;
const OPS = 700;

describe('partition and reconnect fuzz (F08)', () => {
  it(
    'five clients, random partitions and ~1000 disconnect/connect cycles, then heal and converge',
    async () => {
      const [seed = 1] = seedsFor(1);
      announce('F08 partition-and-reconnect-fuzz', seed);
      let cycles = 0;
      const cut = new Set<string>();
      const partition = (sim: Simulation<KanbanApp>) => {
        const client = sim.rng.pick(sim.clients);
        if (cut.has(client.name)) {
          cut.delete(client.name);
          cycles++;
          sim.network.setLink(client.name, true, true);
          client.engine?.setOnline(true);
          return;
        }
        cut.add(client.name);
        const kind = sim.rng.int(0, 2);
        sim.network.setLink(client.name, kind === 1, kind === 2); // 0: both ways, 1: inbound lost, 2: outbound lost
      };
      const result = await runKanban({
        seed,
        clients: CLIENTS,
        ops: OPS * SCALE,
        faults: FAULTS,
        opGapMs: [0, 12],
        chaos: (sim) => {
          for (let i = sim.rng.int(2, 4); i > 0; i--) partition(sim);
        },
        healMs: 60_000,
        inspect: () => (cycles >= 900 * SCALE ? [] : [`only ${cycles} disconnect/connect cycles`]),
      });
      console.log(`F08: ${cycles} disconnect/connect cycles, ${result.executed} commands, ${result.sim.steps} steps`);
      expect(problemsOf('F08', result)).toBe('');
    },
    60_000 * SCALE,
  );
});
