import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditOutcome } from '../shared/index.ts';

/** Distinct scope labels kept on `weft_events_appended_total`; the rest count as `other`. */
const MAX_SCOPE_LABELS = 500;

/**
 * The server's Prometheus metrics (series named `weft_…`), one registry per server so several
 * servers in one process (tests, multi-node runs) do not mix their figures.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly #scopeLabels = new Set<string>();
  readonly #commands = new Counter({
    name: 'weft_commands_total',
    help: 'Commands settled by the push pipeline, by audit outcome (duplicates are resends of settled commands).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly #lostUpdates = new Counter({
    name: 'weft_lost_updates_total',
    help: "Fields a command overwrote after another client's intervening event had written them (audit `overwrote`).",
    registers: [this.registry],
  });
  readonly #pushSeconds = new Histogram({
    name: 'weft_push_duration_seconds',
    help: 'Time to handle one POST /v1/push, from parsed body to response.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly #events = new Counter({
    name: 'weft_events_appended_total',
    help: 'Events appended, per scope (the first 500 scopes seen by this process; later ones as "other").',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  readonly #scopeSeconds = new Counter({
    name: 'weft_scope_push_seconds_total',
    help: 'Time pushes held each scope (load, run, commit), per scope (the same 500 scopes as weft_events_appended_total): with weft_scope_pushes_total, the slowest scopes.',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  readonly #scopePushes = new Counter({
    name: 'weft_scope_pushes_total',
    help: 'Pushes that wrote each scope, per scope (the same 500 scopes as weft_events_appended_total).',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  readonly #requests = new Counter({
    name: 'weft_http_requests_total',
    help: 'HTTP requests by route and status.',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });

  constructor(liveConnections: () => number) {
    new Gauge({
      name: 'weft_live_connections',
      help: 'Open live (SSE) subscriptions, one per scope per connection.',
      registers: [this.registry],
      collect() {
        this.set(liveConnections());
      },
    });
  }

  commandSettled(outcome: AuditOutcome | 'duplicate', count = 1): void {
    this.#commands.inc({ outcome }, count);
  }

  lostUpdates(fields: number): void {
    if (fields > 0) this.#lostUpdates.inc(fields);
  }

  eventsAppended(scope: string, count: number): void {
    if (count === 0) return;
    this.#events.inc({ scope: this.#label(scope) }, count);
  }

  /** A push held `scope` for `seconds` (from taking its lock to its fan-out). */
  scopePushed(scope: string, seconds: number): void {
    const label = this.#label(scope);
    this.#scopeSeconds.inc({ scope: label }, seconds);
    this.#scopePushes.inc({ scope: label });
  }

  #label(scope: string): string {
    if (!this.#scopeLabels.has(scope) && this.#scopeLabels.size < MAX_SCOPE_LABELS) this.#scopeLabels.add(scope);
    return this.#scopeLabels.has(scope) ? scope : 'other';
  }

  pushTimer(): () => void {
    const end = this.#pushSeconds.startTimer();
    return () => {
      end();
    };
  }

  request(route: string, status: number): void {
    this.#requests.inc({ route, status: String(status) });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
