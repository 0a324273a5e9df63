import type { AuditRecord } from '../../shared/index.ts';

/** A readable table of audit records, one line each, widths fitted to the content. */
export function formatAuditTable(records: ReadonlyArray<AuditRecord>): string {
  if (records.length === 0) return 'no audit records match';
  const header = [
    'id',
    'recorded',
    'scope',
    'outcome',
    'command',
    'client',
    'user',
    'seq',
    'base→head',
    'intervened',
    'code / message',
  ];
  const rows = records.map((r) => [
    String(r.id),
    new Date(r.recordedAt).toISOString().replace('T', ' ').slice(0, 19),
    r.scope,
    r.outcome,
    r.name,
    r.clientId,
    r.userId,
    String(r.seq),
    `${r.baseSeq}→${r.headSeq}`,
    r.intervenedCount === 0
      ? ''
      : `${r.intervenedCount} (${[...new Set(r.intervened.map((e) => e.clientId))].join(', ')})${
          r.overwrote
            ? ` overwrote ${r.overwrote.map((o) => `${o.table}/${o.key}.${o.field} of ${o.clientId}`).join(', ')}`
            : ''
        }`,
    r.code ? `${r.code}: ${r.message ?? ''}` : '',
  ]);
  return alignColumns([header, ...rows]);
}

export interface AuditSummary {
  readonly total: number;
  readonly byOutcome: Record<string, number>;
  readonly byCommand: Record<string, Record<string, number>>;
  /** Scopes with the most non-clean outcomes, most first. */
  readonly topConflictingScopes: Array<{ scope: string; conflicts: number; total: number }>;
}

export function summarizeAudit(records: ReadonlyArray<AuditRecord>, top = 10): AuditSummary {
  const byOutcome: Record<string, number> = { clean: 0, rebased: 0, diverged: 0, rejected: 0 };
  const byCommand: Record<string, Record<string, number>> = {};
  const scopes = new Map<string, { conflicts: number; total: number }>();
  for (const r of records) {
    byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + 1;
    const perCommand = byCommand[r.name] ?? {};
    perCommand[r.outcome] = (perCommand[r.outcome] ?? 0) + 1;
    byCommand[r.name] = perCommand;
    const scope = scopes.get(r.scope) ?? { conflicts: 0, total: 0 };
    scope.total++;
    if (r.outcome !== 'clean') scope.conflicts++;
    scopes.set(r.scope, scope);
  }
  const topConflictingScopes = [...scopes]
    .filter(([, s]) => s.conflicts > 0)
    .map(([scope, s]) => ({ scope, ...s }))
    .sort((a, b) => b.conflicts - a.conflicts || (a.scope < b.scope ? -1 : 1))
    .slice(0, top);
  return { total: records.length, byOutcome, byCommand, topConflictingScopes };
}

export function formatSummary(summary: AuditSummary): string {
  const outcomes = ['clean', 'rebased', 'diverged', 'rejected'];
  const lines = [`${summary.total} commands audited`, ''];
  lines.push(alignColumns([['outcome', 'count'], ...outcomes.map((o) => [o, String(summary.byOutcome[o] ?? 0)])]), '');
  lines.push(
    alignColumns([
      ['command', ...outcomes],
      ...Object.entries(summary.byCommand)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, counts]) => [name, ...outcomes.map((o) => String(counts[o] ?? 0))]),
    ]),
    '',
  );
  lines.push(
    summary.topConflictingScopes.length === 0
      ? 'no conflicting scopes'
      : alignColumns([
          ['top conflicting scope', 'conflicts', 'commands'],
          ...summary.topConflictingScopes.map((s) => [s.scope, String(s.conflicts), String(s.total)]),
        ]),
  );
  return lines.join('\n');
}

function alignColumns(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
