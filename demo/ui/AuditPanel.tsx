import { useCallback, useEffect, useRef, useState } from 'react';
import { useStatus } from '../../client/react.ts';
import type { AuditRecord } from '../../shared/index.ts';
import type { AuditFetcher } from '../session.ts';
import { useDemo } from './demo-context.ts';

export interface AuditPanelProps {
  readonly fetchAudit: AuditFetcher;
  /** How often to refresh while online, in ms; it also refreshes when a sync ends. */
  readonly intervalMs?: number;
  /** How many of the latest records to show. */
  readonly shown?: number;
}

/** The board's conflict audit (DESIGN §4): the latest records first, with what intervened. */
export function AuditPanel({ fetchAudit, intervalMs = 3000, shown = 30 }: AuditPanelProps) {
  const { client, boardId } = useDemo();
  const status = useStatus(client);
  const [records, setRecords] = useState<AuditRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);

  const refresh = useCallback(async () => {
    const asked = ++latest.current;
    try {
      const next = await fetchAudit(boardId);
      if (asked !== latest.current) return;
      setRecords(next);
      setError(null);
    } catch (caught) {
      if (asked === latest.current) setError(caught instanceof Error ? caught.message : String(caught));
    }
  }, [fetchAudit, boardId]);

  const online = status.online;
  const settled = online && !status.syncing;
  useEffect(() => {
    if (!online) return;
    const timer = setInterval(() => void refresh(), intervalMs);
    return () => clearInterval(timer);
  }, [online, intervalMs, refresh]);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a change of `pending` is a trigger, once settled
  useEffect(() => {
    if (settled) void refresh();
  }, [settled, status.pending, refresh]);

  const users = new Map<string, string>();
  for (const record of records ?? []) users.set(record.commandId, record.userId);
  const latestFirst = (records ?? []).slice(-shown).reverse();

  return (
    <aside className="audit" data-testid="audit-panel">
      <header>
        <h2>Audit</h2>
        <button type="button" data-testid="audit-refresh" onClick={() => void refresh()}>
          Refresh
        </button>
      </header>
      {error && (
        <p className="hint" data-testid="audit-error">
          {online ? error : 'offline: the audit comes from the server'}
        </p>
      )}
      {records?.length === 0 && <p className="hint">No commands yet.</p>}
      <ol>
        {latestFirst.map((record) => (
          <li
            key={record.id}
            className={`audit-record ${record.outcome}`}
            data-testid="audit-record"
            data-outcome={record.outcome}
            data-command={record.name}
          >
            <span className="outcome">{record.outcome}</span> <strong>{record.userId}</strong>{' '}
            <code>
              {record.name}({describeArgs(record.args)})
            </code>
            {record.outcome === 'rejected' && (
              <div className="why">
                {record.code}: {record.message}
              </div>
            )}
            {record.overwrote && (
              <div className="overwrote" data-testid="audit-overwrote">
                {overwroteText(record.overwrote, users)}
              </div>
            )}
            {record.intervenedCount > 0 && (
              <div className="intervened" data-testid="audit-intervened">
                after {record.intervenedCount} intervening event{record.intervenedCount === 1 ? '' : 's'}:{' '}
                {record.intervened
                  .map((event) => `${event.type} #${event.seq} by ${users.get(event.commandId) ?? event.clientId}`)
                  .join(', ')}
              </div>
            )}
          </li>
        ))}
      </ol>
    </aside>
  );
}

/** What an event type did, in words ("cardRenamed" → "rename"), for the lost-update line. */
const CHANGE_NAMES: Readonly<Record<string, string>> = {
  cardRenamed: 'rename',
  cardMoved: 'move',
  columnAdded: 'column',
  cardAdded: 'card',
};

/** "overwrote Ann's rename": one phrase per intervening command whose writes this one replaced. */
export function overwroteText(
  overwrote: ReadonlyArray<{ commandId: string; clientId: string; type: string; field: string }>,
  users: ReadonlyMap<string, string>,
): string {
  const phrases = new Map<string, string>();
  for (const lost of overwrote) {
    const who = users.get(lost.commandId) ?? lost.clientId;
    const what = CHANGE_NAMES[lost.type] ?? `${lost.type} (${lost.field})`;
    phrases.set(lost.commandId, `${who}'s ${what}`);
  }
  return `overwrote ${[...phrases.values()].join(', ')}`;
}

/** The args in brief, without the board id every command carries; a text edit as what it typed. */
function describeArgs(args: unknown): string {
  if (typeof args !== 'object' || args === null) return '';
  return Object.entries(args)
    .filter(([key]) => key !== 'boardId')
    .map(([key, value]) => (key === 'edit' && Array.isArray(value) ? [key, describeEdit(value)] : [key, value]))
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}

function describeEdit(edit: ReadonlyArray<unknown>): string {
  return edit
    .map((op) => {
      const o = op as { insert?: string; delete?: ReadonlyArray<readonly [string, number, number]> };
      if (o.insert !== undefined) return `+"${o.insert}"`;
      return `−${(o.delete ?? []).reduce((n, span) => n + span[2], 0)}`;
    })
    .join(' ');
}
