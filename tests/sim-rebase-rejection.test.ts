import { describe, expect, it } from 'vitest';
import type { RejectedRecord } from '../client/index.ts';
import { checkOptimistic, type Issued } from '../client/testing/sim/index.ts';
import { kanban } from '../demo/app.ts';
import { announce, faultyNetwork, problemsOf, runKanban, seedsFor } from './support/sim-kanban.ts';

/**
 * TEST-PLAN F10 `rebase-with-server-rejection`, in the simulator: client A, cut off, runs A1
 * (add card a to To do), B (add card b to Doing, which A sees empty) and C (rename a). Meanwhile
 * client X fills Doing (WIP limit 2). A reconnects through a network that duplicates and reorders.
 * A1 and C are confirmed, B is rejected with WIP_LIMIT and its reason, A's onRejected hears it,
 * card b is gone from A, and A's optimistic state equals the model at every idle step (G7, G11).
 */
const FAULTS = faultyNetwork({
  latency: [1, 20],
  lost: 0.05,
  lostLive: 0.02,
  copied: 0.5,
  maxCopies: 5,
  timeoutMs: 300,
});

describe('rebase with a server rejection (F10)', () => {
  it('A and C confirmed, B rejected with a reason and gone locally, state equals the model', async () => {
    for (const seed of seedsFor(3)) {
      announce('F10 rebase-with-server-rejection', seed);
      const heard: RejectedRecord[] = [];
      let a1: Issued | null = null;
      let b: Issued | null = null;
      let c: Issued | null = null;
      const g7: string[] = [];
      const result = await runKanban({
        seed,
        clients: 2,
        ops: 0,
        faults: FAULTS,
        workload: async (sim) => {
          const [clientA, clientX] = sim.clients;
          if (!clientA?.engine || !clientX?.engine) throw new Error('no clients');
          clientA.engine.onRejected((r) => heard.push(r));
          sim.network.setLink(clientA.name, false, false);
          a1 = clientA.execute('addCard', { boardId: 'b', cardId: 'a', columnId: 'todo', title: 'a' });
          b = clientA.execute('addCard', { boardId: 'b', cardId: 'b', columnId: 'doing', title: 'b' });
          c = clientA.execute('renameCard', { boardId: 'b', cardId: 'a', title: 'renamed' });
          clientX.execute('addCard', { boardId: 'b', cardId: 'x1', columnId: 'doing', title: 'x1' });
          clientX.execute('addCard', { boardId: 'b', cardId: 'x2', columnId: 'doing', title: 'x2' });
          await sim.runUntil(() => clientX.engine?.pending().length === 0, 'X to settle', 60_000);
          await sim.runFor(sim.rng.int(0, 500));
          sim.network.setLink(clientA.name, true, true);
          clientA.engine.setOnline(true);
          await sim.runUntil(
            () => {
              g7.push(...checkOptimistic(kanban, clientA));
              return clientA.engine?.pending().length === 0;
            },
            'A to settle',
            60_000,
          );
        },
        inspect: (sim) => {
          const engine = sim.clients[0]?.engine;
          if (!engine || !a1 || !b || !c) return ['the scenario did not run'];
          const problems: string[] = [];
          if (engine.commandState(a1.id) !== 'confirmed') problems.push('A1 is not confirmed');
          if (engine.commandState(c.id) !== 'confirmed') problems.push('C is not confirmed');
          if (engine.commandState(b.id) !== 'rejected') problems.push('B is not rejected');
          const rejection = engine.rejections().find((r) => r.id === b?.id);
          if (rejection?.code !== 'WIP_LIMIT' || !rejection.message.includes('full'))
            problems.push(`B's reason: ${JSON.stringify(rejection)}`);
          if (!heard.some((r) => r.id === b?.id && r.code === 'WIP_LIMIT')) problems.push('onRejected never heard B');
          const cards = engine.query({ table: 'cards' }) as Array<{ cardId: string; title: string }>;
          if (cards.some((card) => card.cardId === 'b')) problems.push('card b is still shown');
          if (cards.find((card) => card.cardId === 'a')?.title !== 'renamed') problems.push('card a is not renamed');
          return problems;
        },
      });
      expect(g7).toEqual([]);
      expect(problemsOf('F10', result)).toBe('');
    }
  }, 60_000);
});
