import { Gauge, type Registry } from 'prom-client';
import type { ScopeQuarantine } from './scope-cache.ts';

/**
 * `weft_scope_quarantined{scope, seq, type} 1` for each scope whose state could not be rebuilt
 * because a projection threw on a stored event (see `ScopeCache`): the position to look at.
 */
export function registerQuarantineGauge(registry: Registry, quarantined: () => ReadonlyArray<ScopeQuarantine>): void {
  new Gauge({
    name: 'weft_scope_quarantined',
    help: 'Scopes quarantined because a projection threw while rebuilding them, by scope and event.',
    labelNames: ['scope', 'seq', 'type'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { scope, seq, type } of quarantined()) this.set({ scope, seq: String(seq), type }, 1);
    },
  });
}
