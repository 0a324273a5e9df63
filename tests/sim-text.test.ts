import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import type { SimClient, Simulation } from '../client/testing/sim/index.ts';
import type { KanbanApp } from '../demo/app.ts';
import {
  applyTextOps,
  type TextId,
  TextOpsSchema,
  type TextValue,
  textEditAt,
  textString,
  type WireEvent,
} from '../shared/index.ts';
import './support/fast-check-seed.ts';
import { faultyNetwork, problemsOf, runKanban, SCALE, SCOPE } from './support/sim-kanban.ts';

/**
 * Collaborative text through the simulator (issue 18): 2–5 clients type into one card's
 * description at random places — inserts, deletes and replacements — while their links are cut
 * and restored, pushes and live frames are duplicated and lost, and clients reload (cleanly or
 * by a crash). After healing: every client's description equals the one replaying the server's
 * stream gives (and the run passes the simulator's G6/G7 checks), and every insert landed right
 * after its anchor with its characters together (the document is a pre-order walk of the anchor tree).
 */
const FAULTS = faultyNetwork({ latency: [1, 20], lost: 0.03, copied: 0.15, maxCopies: 3, timeoutMs: 300 });
const CARD = 'k1';
const Ops = v.object({ cardId: v.string(), ops: TextOpsSchema });

describe('collaborative text in the simulator', () => {
  it(
    'random edits under partitions, duplicates and reloads converge to the server stream, inserts contiguous',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 0x7fffffff }),
          fc.integer({ min: 2, max: 5 }),
          async (seed, clients) => {
            const carets = new Map<string, number>();
            const result = await runKanban({
              seed,
              clients,
              ops: 0,
              faults: FAULTS,
              healMs: 120_000,
              workload: async (sim) => {
                const first = sim.clients[0] as SimClient<KanbanApp>;
                first.execute('addCard', { boardId: 'b', cardId: CARD, columnId: 'todo', title: 'Text' });
                await sim.runFor(100); // clients that miss it (a lost frame) refuse edits until they catch up
                for (let op = 0; op < 300 * SCALE; op++) {
                  await sim.runFor(sim.rng.int(0, 15));
                  await chaos(sim);
                  await sim.settle();
                  type1(sim, sim.rng.pick(sim.clients), carets);
                }
              },
              inspect: (sim, server) => textProblems(sim, server.streams.get(SCOPE) ?? []),
            });
            const edits = result.server.streams.get(SCOPE)?.filter((e) => e.type === 'descriptionEdited') ?? [];
            const crashes = result.sim.clients.reduce((n, c) => n + c.crashes.length, 0);
            console.log(
              `text: SIM_SEED=${seed}, ${clients} clients, ${edits.length} edits confirmed, ${crashes} reloads`,
            );
            expect(problemsOf('text', result)).toBe('');
          },
        ),
        { numRuns: 8 * SCALE },
      );
    },
    240_000 * SCALE,
  );
});

/** Cuts or restores one link, or reloads one client, at random. */
async function chaos(sim: Simulation<KanbanApp>): Promise<void> {
  const client = sim.rng.pick(sim.clients);
  const roll = sim.rng.int(0, 99);
  if (!client.alive) {
    if (roll < 30) await client.open();
  } else if (roll < 6) {
    sim.network.setLink(client.name, false, false);
  } else if (roll < 14) {
    sim.network.setLink(client.name, true, true);
    client.engine?.setOnline(true);
  } else if (roll < 17) {
    client.crash(); // a reload: what was durable comes back from storage, the rest is gone
  }
}

/** One burst of typing by `client`: an insert, a delete or a replacement, often where it typed last. */
function type1(sim: Simulation<KanbanApp>, client: SimClient<KanbanApp>, carets: Map<string, number>): void {
  const engine = client.engine;
  if (!engine) return;
  const row = engine.query({ table: 'descriptions', where: { cardId: CARD } } as never)[0] as
    | { text: TextValue }
    | undefined;
  const text = textString(row?.text);
  const { rng } = sim;
  let at = rng.int(0, 1) === 0 ? (carets.get(client.name) ?? 0) : rng.int(0, text.length);
  at = Math.min(at, text.length);
  const roll = rng.int(0, 9);
  const removed = roll < 6 ? 0 : Math.min(rng.int(1, 5), text.length - at);
  const typed = roll >= 6 && roll < 8 ? '' : word(rng.int(1, 8), client.name, rng.int(0, 25));
  if (removed === 0 && typed === '') return;
  const edit = textEditAt(row?.text, at, at + removed, typed);
  if (client.execute('editDescription', { boardId: 'b', cardId: CARD, edit }))
    carets.set(client.name, at + typed.length);
}

function word(length: number, client: string, start: number): string {
  const letters =
    client === 'c0' ? 'abcdefghijklmnopqrstuvwxyz' : client === 'c1' ? 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' : '0123456789';
  let out = '';
  for (let i = 0; i < length; i++) out += letters[(start + i) % letters.length];
  return out;
}

/** Convergence to the server stream's replay, and contiguity of every insert. */
function textProblems(sim: Simulation<KanbanApp>, stream: ReadonlyArray<WireEvent>): string[] {
  const problems: string[] = [];
  let replayed: TextValue | undefined;
  const parent = new Map<string, string | null>();
  for (const event of stream) {
    if (event.type !== 'descriptionEdited') continue;
    const { ops } = v.parse(Ops, event.data);
    replayed = applyTextOps(replayed, ops);
    for (const op of ops) {
      if (!('insert' in op)) continue;
      for (let k = 0; k < op.insert.length; k++)
        parent.set(key([op.id, k]), k === 0 ? (op.after ? key(op.after) : null) : key([op.id, k - 1]));
    }
  }
  const expected = textString(replayed);
  for (const client of sim.clients) {
    const row = client.engine?.query({ table: 'descriptions', where: { cardId: CARD } } as never)[0] as
      | { text: TextValue }
      | undefined;
    const seen = textString(row?.text);
    if (seen !== expected)
      problems.push(`${client.name} shows ${JSON.stringify(seen)}, the stream ${JSON.stringify(expected)}`);
  }
  // The document, tombstones included, must be a pre-order walk of the anchor tree (each
  // character's parent is its anchor, or the previous character of its insert): everything
  // between a character and its anchor was anchored inside that gap. So each insert landed where
  // its author put it, and its characters stay together.
  const stack: string[] = [];
  for (const [bunch, start, content] of replayed?.runs ?? []) {
    const length = typeof content === 'string' ? content.length : content;
    for (let i = 0; i < length; i++) {
      const id = key([bunch, start + i]);
      const up = parent.get(id);
      if (up === undefined) problems.push(`${id} has no insert in the stream`);
      while (stack.length > 0 && stack.at(-1) !== up) stack.pop();
      if (up && stack.length === 0) problems.push(`${id} is not inside the block after its anchor ${up}`);
      stack.push(id);
    }
  }
  return problems.slice(0, 10);
}

const key = ([bunch, index]: TextId): string => `${bunch}#${index}`;
