/**
 * `npx tsx bench/commit-levers.ts [--runs 3]`: what the SQLite commit of a push would cost
 * under the levers issue 15 names, measured apart from everything else a push does. Each
 * variant writes the same pushes (100 commands over 64 scopes, one `cardAdded` event each) with
 * the store's statements in WAL mode with `synchronous=FULL`, one transaction per push unless
 * it groups several (what a pipelined commit would let group commit do). Not part of
 * `npm run bench`: it measures schemas the store does not have.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { type BenchRow, printTable, runsSpread, summary } from './report.ts';

const PUSHES = 320;
const BATCH = 100;
const SCOPES = 64;

const EVENTS = `CREATE TABLE events (scope TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
  command_id TEXT NOT NULL, client_id TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (scope, seq)) WITHOUT ROWID;`;
const RESULTS = `CREATE TABLE results (client_id TEXT NOT NULL, seq INTEGER NOT NULL, command_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL, args_json TEXT NOT NULL, status TEXT NOT NULL, scope TEXT NOT NULL, first_seq INTEGER NOT NULL,
  event_count INTEGER NOT NULL, code TEXT, message TEXT, PRIMARY KEY (client_id, seq));`;
const AUDIT = `CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, recorded_at INTEGER NOT NULL, scope TEXT NOT NULL,
  command_id TEXT NOT NULL, client_id TEXT NOT NULL, user_id TEXT NOT NULL, name TEXT NOT NULL, args TEXT NOT NULL,
  seq INTEGER NOT NULL, base_seq INTEGER NOT NULL, head_seq INTEGER NOT NULL, outcome TEXT NOT NULL, code TEXT,
  message TEXT, event_seqs TEXT NOT NULL, intervened_count INTEGER NOT NULL, intervened TEXT NOT NULL);`;
const AUDIT_INDEXES = [
  'CREATE INDEX audit_scope ON audit (scope, id);',
  'CREATE INDEX audit_client ON audit (client_id, id);',
  'CREATE INDEX audit_user ON audit (user_id, id);',
  'CREATE INDEX audit_outcome ON audit (outcome, id);',
  'CREATE INDEX audit_name ON audit (name, id);',
  'CREATE INDEX audit_time ON audit (recorded_at);',
];
/** The result row's keys on the audit row instead: what a merged table must still look up by. */
const MERGED_KEYS = [
  'CREATE UNIQUE INDEX audit_client_seq ON audit (client_id, seq);',
  'CREATE UNIQUE INDEX audit_command ON audit (command_id);',
];

interface Variant {
  readonly what: string;
  readonly schema: string[];
  readonly results: boolean;
  readonly audit: boolean;
  /** Pushes per transaction. */
  readonly group: number;
}

const VARIANTS: Variant[] = [
  { what: 'events only (the floor)', schema: [EVENTS], results: false, audit: false, group: 1 },
  {
    what: 'today: events + results + audit with 6 indexes',
    schema: [EVENTS, RESULTS, AUDIT, ...AUDIT_INDEXES],
    results: true,
    audit: true,
    group: 1,
  },
  {
    what: 'audit with 1 index (scope) instead of 6',
    schema: [EVENTS, RESULTS, AUDIT, AUDIT_INDEXES[0] as string],
    results: true,
    audit: true,
    group: 1,
  },
  {
    what: 'result row merged into the audit row, 6 audit indexes',
    schema: [EVENTS, AUDIT, ...MERGED_KEYS, ...AUDIT_INDEXES],
    results: false,
    audit: true,
    group: 1,
  },
  {
    what: 'merged, and 1 audit index (scope)',
    schema: [EVENTS, AUDIT, ...MERGED_KEYS, AUDIT_INDEXES[0] as string],
    results: false,
    audit: true,
    group: 1,
  },
  {
    what: 'today without AUTOINCREMENT (ids from the rowid: no sqlite_sequence write per row)',
    schema: [EVENTS, RESULTS, AUDIT.replace(' AUTOINCREMENT', ''), ...AUDIT_INDEXES],
    results: true,
    audit: true,
    group: 1,
  },
  {
    what: 'today, 4 pushes per transaction (pipelined commit)',
    schema: [EVENTS, RESULTS, AUDIT, ...AUDIT_INDEXES],
    results: true,
    audit: true,
    group: 4,
  },
];

function measure(dir: string, variant: Variant, run: number): number {
  const file = path.join(dir, `levers-${VARIANTS.indexOf(variant)}-${run}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  for (const sql of variant.schema) db.exec(sql);
  const insertEvent = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)');
  const insertResult = variant.results
    ? db.prepare('INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    : null;
  const insertAudit = variant.audit
    ? db.prepare(
        `INSERT INTO audit (recorded_at, scope, command_id, client_id, user_id, name, args, seq, base_seq, head_seq,
          outcome, code, message, event_seqs, intervened_count, intervened) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
    : null;
  const heads = new Map<string, number>();
  const writePush = (p: number) => {
    const clientId = `client${p % 8}`;
    for (let i = 0; i < BATCH; i++) {
      const n = Math.floor(p / 8) * BATCH + i + 1;
      const scope = `board:b${(p * 7 + i) % SCOPES}`;
      const seq = (heads.get(scope) ?? 0) + 1;
      heads.set(scope, seq);
      const commandId = `${clientId}-${n}`;
      const args = JSON.stringify({ boardId: 'b', cardId: `k${n}`, columnId: 'c', title: `card ${n}` });
      insertEvent.run(scope, seq, 'cardAdded', args, commandId, clientId, 1_700_000_000_000);
      insertResult?.run(clientId, n, commandId, 'addCard', args, 'applied', scope, seq, 1, null, null);
      insertAudit?.run(
        1_700_000_000_000,
        scope,
        commandId,
        clientId,
        clientId,
        'addCard',
        args,
        n,
        seq - 1,
        seq - 1,
        'clean',
        null,
        null,
        `[${seq}]`,
        0,
        '[]',
      );
    }
  };
  const transaction = db.transaction((first: number) => {
    for (let p = first; p < Math.min(first + variant.group, PUSHES); p++) writePush(p);
  });
  const started = performance.now();
  for (let p = 0; p < PUSHES; p += variant.group) transaction(p);
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return (PUSHES * BATCH) / seconds;
}

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
const dir = mkdtempSync(path.join(tmpdir(), 'weft-levers-'));
try {
  const figures = VARIANTS.map(() => [] as number[]);
  // Variants interleave within each run, so the machine's load drifts over all of them alike.
  for (let r = 0; r < runs; r++) {
    VARIANTS.forEach((variant, i) => {
      figures[i]?.push(measure(dir, variant, r));
    });
  }
  const today = summary(figures[1] ?? []).median;
  const rows: BenchRow[] = VARIANTS.map((variant, i) => {
    const s = summary(figures[i] ?? []);
    return {
      what: `commit only: ${variant.what}`,
      value: s.median,
      unit: 'commands/s',
      spread: runsSpread(s, `${(1e6 / s.median).toFixed(1)} µs a command; ${(s.median / today).toFixed(2)} × today`),
    };
  });
  printTable(`SQLite commit levers (${PUSHES} pushes of ${BATCH} commands over ${SCOPES} scopes)`, rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
