import type { AuditRecord } from '../../shared/index.ts';
import type { StoredResult } from './port.ts';

/**
 * The `results` and `audit` rows both stores keep, with the same columns. Integer columns are
 * numbers from SQLite and strings from PostgreSQL (`bigint`), so the mappers convert each.
 */
type Int = number | string;

export interface ResultRow {
  client_id: string;
  seq: Int;
  command_id: string;
  name: string;
  args_json: string;
  status: 'applied' | 'rejected';
  scope: string;
  first_seq: Int;
  event_count: Int;
  code: string | null;
  message: string | null;
}

export interface AuditRow {
  id: Int;
  recorded_at: Int;
  scope: string;
  command_id: string;
  client_id: string;
  user_id: string;
  name: string;
  args: string;
  seq: Int;
  base_seq: Int;
  head_seq: Int;
  outcome: AuditRecord['outcome'];
  code: string | null;
  message: string | null;
  event_seqs: string;
  intervened_count: Int;
  intervened: string;
}

export function toResult(r: ResultRow): StoredResult {
  return {
    clientId: r.client_id,
    seq: Number(r.seq),
    commandId: r.command_id,
    name: r.name,
    argsJson: r.args_json,
    status: r.status,
    scope: r.scope,
    firstSeq: Number(r.first_seq),
    eventCount: Number(r.event_count),
    code: r.code,
    message: r.message,
  };
}

export function toAudit(r: AuditRow): AuditRecord {
  return {
    id: Number(r.id),
    recordedAt: Number(r.recorded_at),
    scope: r.scope,
    commandId: r.command_id,
    clientId: r.client_id,
    userId: r.user_id,
    name: r.name,
    args: JSON.parse(r.args) as unknown,
    seq: Number(r.seq),
    baseSeq: Number(r.base_seq),
    headSeq: Number(r.head_seq),
    outcome: r.outcome,
    code: r.code,
    message: r.message,
    eventSeqs: JSON.parse(r.event_seqs) as number[],
    intervenedCount: Number(r.intervened_count),
    ...withOverwrote(JSON.parse(r.intervened) as AuditRecord['intervened']),
  };
}

/** The intervened list, and the lost updates it names gathered as `overwrote` (absent when none). */
function withOverwrote(intervened: AuditRecord['intervened']): Pick<AuditRecord, 'intervened' | 'overwrote'> {
  const overwrote = intervened.flatMap(({ overwrote: fields, seq, type, commandId, clientId }) =>
    (fields ?? []).map((f) => ({ ...f, seq, type, commandId, clientId })),
  );
  return overwrote.length > 0 ? { intervened, overwrote } : { intervened };
}
