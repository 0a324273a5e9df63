import { Gauge, type Registry } from 'prom-client';
import type { ReactionRunner, ReactionStatus } from './reaction-runner.ts';

/**
 * Adds the reactions' series to a server's registry, each a gauge labelled `reaction`:
 * `weft_reaction_checkpoint`, `_lag`, `_attempts`, `_failures` (since start), `_parked`, `_retrying`.
 */
export function registerReactionMetrics(registry: Registry, runner: ReactionRunner): void {
  let pending: Promise<ReactionStatus[]> | null = null;
  // One status read per scrape, shared by every gauge.
  const snapshot = () => {
    pending ??= runner.status().finally(() => setTimeout(() => (pending = null), 0));
    return pending;
  };
  const gauge = (name: string, help: string, value: (s: ReactionStatus) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['reaction'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const status of await snapshot()) this.set({ reaction: status.name }, value(status));
      },
    });
  gauge('weft_reaction_checkpoint', 'The last audit id each reaction fully handled.', (s) => s.checkpoint);
  gauge('weft_reaction_lag', 'Audit records each reaction is behind the newest.', (s) => s.lag);
  gauge('weft_reaction_attempts', 'Consecutive failures of the batch each reaction is on.', (s) => s.attempts);
  gauge('weft_reaction_failures', 'Handler failures since the server started.', (s) => s.failures);
  gauge('weft_reaction_parked', 'Parked command event lists awaiting resume.', (s) => s.parked);
  gauge('weft_reaction_retrying', '1 while a reaction waits out a backoff.', (s) => (s.state === 'retrying' ? 1 : 0));
}
