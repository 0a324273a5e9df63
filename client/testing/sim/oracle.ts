import * as v from 'valibot';
import {
  type AnyApp,
  type AuditRecord,
  applyEvent,
  canonicalJson,
  executeCommand,
  MemoryTables,
  type PushRequest,
  protocol,
  type Row,
  type WireEvent,
} from '../../../shared/index.ts';
import { httpTransport } from '../../sync/index.ts';
import { pullAll, replay } from '../replay.ts';
import type { SimClient } from './sim-client.ts';

/**
 * The reference model (TEST-PLAN §2.1 item 2): a pure, single-threaded "ideal server". Given
 * the order in which the server settled commands (its audit log) and the command records the
 * network carried, it re-runs every command with the shared runtime on its own tables and
 * computes the stream each scope must hold, each command's outcome, and each scope's
 * projections. Nothing in it is shared with the server's pipeline but the app definition.
 */
export interface ModelRun {
  readonly streams: Map<string, WireEvent[]>;
  readonly outcomes: Map<string, { status: 'applied' | 'rejected'; code: string | null; seqs: number[] }>;
  readonly tables: Map<string, MemoryTables>;
}

export interface CommandSeen {
  readonly clientId: string;
  readonly name: string;
  readonly args: unknown;
  readonly at: number;
  readonly seq: number;
}

/** Every command record the server received, by id (resends included: the first is kept). */
export function commandsSeen(delivered: ReadonlyArray<PushRequest>): Map<string, CommandSeen> {
  const seen = new Map<string, CommandSeen>();
  for (const request of delivered) {
    for (const { id, name, args, at, seq } of request.commands) {
      if (!seen.has(id)) seen.set(id, { clientId: request.clientId, name, args, at, seq });
    }
  }
  return seen;
}

export function runModel(app: AnyApp, audit: ReadonlyArray<AuditRecord>, seen: ReadonlyMap<string, CommandSeen>) {
  const problems: string[] = [];
  const model: ModelRun = { streams: new Map(), outcomes: new Map(), tables: new Map() };
  const tablesOf = (scope: string) => {
    let tables = model.tables.get(scope);
    if (!tables) {
      tables = new MemoryTables(app.tables);
      model.tables.set(scope, tables);
    }
    return tables;
  };
  for (const record of audit) {
    const command = seen.get(record.commandId);
    if (!command) {
      problems.push(`the server settled ${record.commandId}, which no client ever sent`);
      continue;
    }
    const result = executeCommand(app, { id: record.commandId, ...command }, tablesOf);
    if (!result.ok) {
      model.outcomes.set(record.commandId, { status: 'rejected', code: result.code, seqs: [] });
      continue;
    }
    const stream = model.streams.get(result.scope) ?? [];
    model.streams.set(result.scope, stream);
    const tables = tablesOf(result.scope);
    const seqs: number[] = [];
    for (const emitted of result.events) {
      const event: WireEvent = {
        seq: (stream.at(-1)?.seq ?? 0) + 1,
        scope: result.scope,
        type: emitted.type,
        data: emitted.data,
        commandId: record.commandId,
        clientId: command.clientId,
        at: command.at,
      };
      applyEvent(app, tables, event);
      stream.push(event);
      seqs.push(event.seq);
    }
    model.outcomes.set(record.commandId, { status: 'applied', code: null, seqs });
  }
  return { model, problems };
}

/** What the server holds at the end of a run, read over its real HTTP API. */
export interface ServerView {
  readonly audit: AuditRecord[];
  readonly streams: Map<string, WireEvent[]>;
}

export async function readServer(
  fetch: (request: Request) => Response | Promise<Response>,
  adminToken: string,
  scopes: ReadonlyArray<string>,
): Promise<ServerView> {
  const transport = httpTransport({ url: 'http://weft.sim', auth: adminToken, fetch: async (r) => fetch(r) });
  const streams = new Map<string, WireEvent[]>();
  for (const scope of scopes) streams.set(scope, await pullAll(transport, scope));
  const audit: AuditRecord[] = [];
  let after: number | null = 0;
  while (after !== null) {
    const response = await fetch(
      new Request(`http://weft.sim/v1/audit?limit=1000&after=${after}`, {
        headers: { authorization: `Bearer ${adminToken}` },
      }),
    );
    const page = v.parse(protocol.AuditResponseSchema, await response.json());
    audit.push(...page.records);
    after = page.records.length === 0 ? null : page.next;
  }
  return { audit, streams };
}

/**
 * The server against the model: G2 (each command id and each (client, seq) settled once, its
 * events once), G3 (each client's seqs settled 1, 2, 3 … in order, in the order the client
 * executed them), G4/G5 (each stream is exactly the model's: gap-free, each command's events
 * together), and the outcomes (applied or rejected with the model's code).
 */
export function checkServer(
  app: AnyApp,
  server: ServerView,
  seen: ReadonlyMap<string, CommandSeen>,
  clients: ReadonlyArray<SimClient>,
): { model: ModelRun; problems: string[] } {
  const { model, problems } = runModel(app, server.audit, seen);
  const ids = new Set<string>();
  const bySeq = new Map<string, number[]>();
  for (const record of server.audit) {
    if (ids.has(record.commandId)) problems.push(`G2: ${record.commandId} settled twice`);
    ids.add(record.commandId);
    const seqs = bySeq.get(record.clientId) ?? [];
    seqs.push(record.seq);
    bySeq.set(record.clientId, seqs);
    const expected = model.outcomes.get(record.commandId);
    const status = record.outcome === 'rejected' ? 'rejected' : 'applied';
    if (expected && (expected.status !== status || (status === 'rejected' && expected.code !== record.code))) {
      problems.push(
        `model: ${record.commandId} ${status} ${record.code ?? ''}, the model says ${expected.status} ${expected.code ?? ''}`,
      );
    }
    if (expected && canonicalJson(expected.seqs) !== canonicalJson(record.eventSeqs)) {
      problems.push(`G5: ${record.commandId} has events ${record.eventSeqs}, the model ${expected.seqs}`);
    }
  }
  for (const [clientId, seqs] of bySeq) {
    seqs.forEach((seq, i) => {
      if (seq !== i + 1) problems.push(`G3: ${clientId}'s ${i + 1}th settled command has seq ${seq}`);
    });
  }
  for (const [scope, stream] of server.streams) {
    const expected = model.streams.get(scope) ?? [];
    if (canonicalJson(stream) !== canonicalJson(expected)) {
      problems.push(
        `G4/G9: the server's ${scope} (${stream.length} events) differs from the model (${expected.length})`,
      );
    }
    let previous = '';
    const blocks = new Set<string>();
    for (const event of stream) {
      if (event.commandId !== previous && blocks.has(event.commandId))
        problems.push(`G5: ${event.commandId}'s events are split`);
      blocks.add(event.commandId);
      previous = event.commandId;
    }
  }
  // G3, the client's side: what the server settled of a client is in the order it executed them.
  const clientIdOf = new Map<string, string>();
  for (const [id, command] of seen) clientIdOf.set(id, command.clientId);
  for (const client of clients) {
    const settledOrder = server.audit.filter((r) => client.issued.has(r.commandId)).map((r) => r.commandId);
    const position = new Map(client.order.map((id, i) => [id, i]));
    for (let i = 1; i < settledOrder.length; i++) {
      const a = position.get(settledOrder[i - 1] as string) ?? -1;
      const b = position.get(settledOrder[i] as string) ?? -1;
      if (b < a) problems.push(`G3: ${client.name} executed ${settledOrder[i]} before ${settledOrder[i - 1]}`);
    }
  }
  return { model, problems };
}

/** The rows of every table, each table's rows in a canonical order, for comparing states. */
export function canonicalTables(tables: Readonly<Record<string, ReadonlyArray<Row>>>): string {
  const out: Record<string, string[]> = {};
  for (const [table, rows] of Object.entries(tables)) out[table] = rows.map((row) => canonicalJson(row)).sort();
  return canonicalJson(out);
}

/**
 * A client after quiescence against the server and the model (G6, G7, G9): its confirmed log
 * (what its storage committed) equals the server's stream; its projections equal a fresh replay
 * and the model's tables; nothing is pending; every command the server settled that this client
 * knows of has the server's outcome (a rejection with its reason), and no command the UI saw
 * `durable` is missing.
 */
export async function checkClientConverged(
  app: AnyApp,
  client: SimClient,
  server: ServerView,
  model: ModelRun,
): Promise<string[]> {
  const problems: string[] = [...client.shadow.problems.map((p) => `${client.name} storage: ${p}`)];
  const engine = client.engine;
  if (!engine) return [...problems, `${client.name} has no engine`];
  if (engine.pending().length > 0) problems.push(`G10: ${client.name} still has ${engine.pending().length} pending`);
  for (const [scope, stream] of server.streams) {
    const log = client.shadow.events.get(scope) ?? [];
    if (canonicalJson(log) !== canonicalJson(stream)) {
      problems.push(
        `G6: ${client.name}'s confirmed ${scope} (${log.length} events) is not the server's (${stream.length})`,
      );
    }
    const fresh = canonicalTables(replay(app, stream));
    const modelTables = model.tables.get(scope)?.dump() ?? new MemoryTables(app.tables).dump();
    if (canonicalTables(modelTables) !== fresh)
      problems.push(`G9: the model's ${scope} projections differ from a replay`);
    const view: Record<string, Row[]> = {};
    for (const table of Object.keys(app.tables)) view[table] = engine.query({ table } as never) as Row[];
    if (canonicalTables(view) !== fresh)
      problems.push(`G6: ${client.name}'s projections of ${scope} differ from a replay`);
  }
  const stored = await client.storage.load({ scopes: [...server.streams.keys()], newClientId: () => 'unused' });
  const storedRows: Record<string, Row[]> = Object.fromEntries(Object.keys(app.tables).map((t) => [t, [] as Row[]]));
  for (const write of stored.rows) if (write.row) storedRows[write.table]?.push(write.row);
  const allStreams = [...server.streams.values()].flat();
  if (canonicalTables(storedRows) !== canonicalTables(replay(app, allStreams)))
    problems.push(`G9: ${client.name}'s stored confirmed rows differ from a replay`);
  const settledById = new Map(server.audit.map((r) => [r.commandId, r]));
  for (const issued of client.issued.values()) {
    const record = settledById.get(issued.id);
    const state = engine.commandState(issued.id);
    if (issued.durable && !record) problems.push(`G1: ${client.name}'s durable ${issued.id} never reached the server`);
    if (!record) continue;
    const expected = record.outcome === 'rejected' ? 'rejected' : 'confirmed';
    if (state !== expected) problems.push(`G7: ${client.name}'s ${issued.id} is ${state}, the server ${expected} it`);
    if (expected === 'rejected') {
      const rejection = engine.rejections().find((r) => r.id === issued.id);
      if (!rejection || rejection.code !== record.code || !rejection.message)
        problems.push(`G7: ${client.name} was not told why ${issued.id} was rejected`);
    }
  }
  return problems;
}

/**
 * G7 at any moment the client's writes are idle: its optimistic state equals its confirmed
 * log folded, then its pending commands re-run in seq order with the shared runtime.
 */
export function checkOptimistic(app: AnyApp, client: SimClient): string[] {
  const engine = client.engine;
  if (!engine || !client.writesIdle) return [];
  const problems: string[] = [];
  const tables = new Map<string, MemoryTables>();
  for (const [scope, log] of client.shadow.events) tables.set(scope, tableOf(app, log));
  const pending = engine.pending();
  for (let i = 1; i < pending.length; i++) {
    if ((pending[i]?.seq ?? 0) <= (pending[i - 1]?.seq ?? 0))
      problems.push(`G7: ${client.name}'s pending out of seq order`);
  }
  for (const command of pending) {
    const issued = client.issued.get(command.id);
    if (!issued) {
      problems.push(`G7: ${client.name} has a pending command it never executed: ${command.id}`);
      continue;
    }
    const scopeTables = tables.get(command.scope) ?? new MemoryTables(app.tables);
    tables.set(command.scope, scopeTables);
    const run = executeCommand(
      app,
      { id: command.id, name: command.name, args: command.args, at: issued.at },
      () => scopeTables,
    );
    if (!run.ok) continue; // it fails on the current state: pending, with no effect
    for (const e of run.events) {
      applyEvent(app, scopeTables, { ...e, scope: run.scope, at: issued.at, commandId: command.id });
    }
  }
  const expected: Record<string, Row[]> = Object.fromEntries(Object.keys(app.tables).map((t) => [t, [] as Row[]]));
  for (const scopeTables of tables.values()) {
    for (const [table, rows] of Object.entries(scopeTables.dump())) expected[table]?.push(...rows);
  }
  const view: Record<string, Row[]> = {};
  for (const table of Object.keys(app.tables)) view[table] = engine.query({ table } as never) as Row[];
  if (canonicalTables(view) !== canonicalTables(expected))
    problems.push(`G7: ${client.name}'s optimistic state is not its confirmed log plus its pending commands re-run`);
  return problems;
}

function tableOf(app: AnyApp, events: ReadonlyArray<WireEvent>): MemoryTables {
  const tables = new MemoryTables(app.tables);
  for (const event of events) applyEvent(app, tables, event);
  return tables;
}
