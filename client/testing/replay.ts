import { type AnyApp, applyEvent, MemoryTables, type Row, type WireEvent } from '../../shared/index.ts';
import type { Transport } from '../sync/index.ts';

/** Every event of `scope`, pulled page by page from the server. */
export async function pullAll(transport: Transport, scope: string): Promise<WireEvent[]> {
  const events: WireEvent[] = [];
  for (;;) {
    const answer = await transport.pull(scope, events.at(-1)?.seq ?? 0, 1000);
    if (!answer.ok) throw new Error(`pull failed: ${JSON.stringify(answer.failure)}`);
    events.push(...answer.value.events);
    if (!answer.value.more) return events;
  }
}

/** A scope's projections replayed from scratch: what every client must converge to. */
export function replay(app: AnyApp, events: ReadonlyArray<WireEvent>): Record<string, Row[]> {
  const tables = new MemoryTables(app.tables);
  for (const event of events) applyEvent(app, tables, event);
  return tables.dump();
}
