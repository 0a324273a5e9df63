import { describe, expect, it } from 'vitest';
import { checkClientConverged, checkServer, commandsSeen, type ServerView } from '../client/testing/sim/index.ts';
import { kanban } from '../demo/app.ts';
import { announce, problemsOf, runKanban, SCOPE, seedsFor } from './support/sim-kanban.ts';

/**
 * The reference model catches what it claims to: a clean simulated run passes, and the same run
 * with its server log tampered with (an event stored twice, an event lost, two commands' events
 * swapped, a rejection turned into an acceptance, a client seq settled twice) fails with the
 * guarantee it breaks; a client that missed the last event fails G6.
 */
describe('the reference model oracle', () => {
  it('passes a clean run and flags each kind of broken server log', async () => {
    const [seed = 1] = seedsFor(1);
    announce('sim-oracle', seed);
    const findings: Record<string, string[]> = {};
    const result = await runKanban({
      seed,
      clients: 3,
      ops: 120,
      faults: {
        latency: [1, 10],
        dropRequest: 0,
        dropReply: 0.05,
        duplicatePush: 0.3,
        dropLive: 0,
        duplicateLive: 0.3,
        maxCopies: 3,
        timeoutMs: 300,
      },
      inspect: async (sim, view) => {
        const seen = commandsSeen(sim.network.delivered);
        const stream = view.streams.get(SCOPE) ?? [];
        const withStream = (events: typeof stream, audit = view.audit): ServerView => ({
          audit,
          streams: new Map([[SCOPE, events]]),
        });
        const check = (v: ServerView) => checkServer(kanban, v, seen, sim.clients).problems;
        const i = Math.floor(stream.length / 2);
        const twice = [...stream.slice(0, i + 1), ...stream.slice(i)];
        findings.duplicate = check(withStream(twice));
        findings.lost = check(withStream([...stream.slice(0, i), ...stream.slice(i + 1)]));
        const swapped = [...stream];
        const j = swapped.findIndex((e, k) => k > i && e.commandId !== stream[i]?.commandId);
        [swapped[i], swapped[j]] = [swapped[j] as (typeof stream)[0], swapped[i] as (typeof stream)[0]];
        findings.swapped = check(withStream(swapped));
        const rejected = view.audit.findIndex((r) => r.outcome === 'rejected');
        findings.outcome =
          rejected < 0
            ? ['no rejection in this run']
            : check(
                withStream(
                  stream,
                  view.audit.map((r, k) => (k === rejected ? { ...r, outcome: 'clean' as const, code: null } : r)),
                ),
              );
        const last = view.audit.at(-1);
        findings.seqTwice = last ? check(withStream(stream, [...view.audit, { ...last, commandId: 'forged' }])) : [];
        const client = sim.clients[0];
        const model = checkServer(kanban, view, seen, sim.clients).model;
        findings.behind = client
          ? (
              await checkClientConverged(
                kanban,
                client,
                withStream([...stream, { ...(stream.at(-1) as (typeof stream)[0]), seq: stream.length + 1 }]),
                model,
              )
            ).filter((p) => p.startsWith('G6'))
          : [];
        return [];
      },
    });
    expect(problemsOf('clean run', result)).toBe('');
    expect(findings.duplicate?.some((p) => p.startsWith('G4'))).toBe(true);
    expect(findings.lost?.some((p) => p.startsWith('G4'))).toBe(true);
    expect(findings.swapped?.some((p) => p.startsWith('G4'))).toBe(true);
    expect(findings.outcome?.some((p) => p.startsWith('model'))).toBe(true);
    expect(findings.seqTwice?.some((p) => p.startsWith('G3') || p.startsWith('G2'))).toBe(true);
    expect(findings.behind?.length).toBeGreaterThan(0);
  }, 60_000);
});
