import type { WireEvent } from '../../shared/index.ts';
import type { EventStore } from '../store/port.ts';

/**
 * The global feed is the audit log: records in commit order, each naming its scope and the seqs
 * of the events its command appended. Invariants: a batch ends on a record boundary, so a
 * checkpoint (an audit id) never splits one command's events; records that carry no event the
 * reaction wants still advance `through`, so a quiet reaction does not re-read them.
 */
export interface FeedBatch {
  /** The audit id the batch covers up to, or null when nothing follows `after`. */
  readonly through: number | null;
  readonly events: WireEvent[];
  /** Commands whose events are in `events` (one unit each, in order). */
  readonly units: ReadonlyArray<FeedUnit>;
}

export interface FeedUnit {
  readonly auditId: number;
  readonly scope: string;
  readonly events: WireEvent[];
}

export interface FeedFilter {
  readonly events?: ReadonlyArray<string> | undefined;
  readonly scopePrefix?: string | undefined;
}

const PAGE = 500;

/** Reads the next batch after audit id `after`: up to `maxEvents` events, or `maxUnits` commands. */
export async function readFeed(
  store: EventStore,
  after: number,
  filter: FeedFilter,
  limits: { maxEvents: number; maxUnits: number },
): Promise<FeedBatch> {
  const types = filter.events ? new Set(filter.events) : null;
  const page = await store.queryAudit({ after, limit: PAGE });
  const units: FeedUnit[] = [];
  const events: WireEvent[] = [];
  let through: number | null = null;
  for (const record of page.records) {
    const wanted =
      record.eventSeqs.length > 0 && (filter.scopePrefix === undefined || record.scope.startsWith(filter.scopePrefix));
    if (wanted) {
      if (events.length >= limits.maxEvents || units.length >= limits.maxUnits) break;
      const first = Math.min(...record.eventSeqs);
      const last = Math.max(...record.eventSeqs);
      const read = await store.readEvents(record.scope, first - 1, last - first + 1);
      const mine = read.events.filter((e) => record.eventSeqs.includes(e.seq) && (!types || types.has(e.type)));
      if (mine.length > 0) {
        if (units.length > 0 && events.length + mine.length > limits.maxEvents) break;
        units.push({ auditId: record.id, scope: record.scope, events: mine });
        events.push(...mine);
      }
    }
    through = record.id;
  }
  return { through, events, units };
}

/** The id of the newest audit record, reading forward from `hint` (a known id at or below it). */
export async function latestAuditId(store: EventStore, hint: number): Promise<number> {
  let latest = hint;
  for (;;) {
    const page = await store.queryAudit({ after: latest, limit: 1000 });
    latest = page.records.at(-1)?.id ?? latest;
    if (page.next === null) return latest;
  }
}
