import { describe, expect, it } from 'vitest';
import { announce, faultyNetwork, problemsOf, runKanban, SCALE, seedsFor } from './support/sim-kanban.ts';

/**
 * TEST-PLAN F02 `dup-reorder-storm`, in the simulator: every push and every live frame arrives
 * 1–5 times (uniformly), each copy with its own latency, so copies and frames overtake each other;
 * three clients issue random kanban commands against one board. The server must store each
 * command's events once (G2), apply each client's commands in order with no gap (G3), and every
 * client must converge to the server's log and a fresh replay of it (G6), as the model predicts.
 * The default (1,200 operations) fits the suite's time budget; `SIM_SCALE=9` runs the plan's 10k
 * (10,800).
 */
const STORM = faultyNetwork({ latency: [1, 30], lost: 0, copied: 0.8, maxCopies: 5, timeoutMs: 500 });
const RUNS = 4;
const OPS = 300;

describe('duplicate and reorder storm (F02)', () => {
  it(
    `${RUNS * OPS * SCALE} random operations, every push and frame 1-5 times, reordered`,
    async () => {
      let executed = 0;
      let copies = 0;
      let delivered = 0;
      for (const seed of seedsFor(RUNS)) {
        announce('F02 dup-reorder-storm', seed);
        const result = await runKanban({ seed, clients: 3, ops: OPS * SCALE, faults: STORM, opGapMs: [0, 15] });
        expect(problemsOf('F02', result)).toBe('');
        executed += result.executed;
        const ids = result.sim.network.delivered.flatMap((r) => r.commands.map((c) => c.id));
        delivered += ids.length;
        copies += ids.length - new Set(ids).size;
      }
      // The storm really happened: most commands reached the server more than once.
      expect(copies).toBeGreaterThan(delivered / 3);
      expect(executed).toBeGreaterThan(RUNS * OPS * SCALE * 0.6);
    },
    60_000 * SCALE,
  );
});
