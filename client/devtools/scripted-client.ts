import type { AnyApp, AuditRecord, WireEvent } from '../../shared/index.ts';
import type { ClientStatus, CommandTrace, RejectedRecord, WeftClient } from '../index.ts';
import type { PanelContext, TabInfo } from './panel-context.ts';
import { DevtoolsRecorder } from './recorder.ts';
import type { DevtoolsServer } from './server-api.ts';
import { ServerRefusal } from './server-api.ts';

/**
 * A scripted engine for the panel's component tests: a `WeftClient` whose command steps,
 * status and rejections the test plays by hand, on a clock the test moves, and a server whose
 * audit records and events the test sets.
 */
export interface ScriptedClient extends WeftClient {
  clock: number;
  readonly dismissed: string[];
  readonly onlineCalls: boolean[];
  /** Plays `executed` then `applied`; returns the id. */
  run(name: string, args: unknown, scope: string | null): string;
  step(id: string, stage: 'durable' | 'confirmed'): void;
  reject(id: string, code: string, message: string): void;
  setStatus(patch: Partial<ClientStatus>): void;
  /** A rejection from the inbox (another tab or an earlier session). */
  inbox(rejection: RejectedRecord): void;
}

export const BASE_STATUS: ClientStatus = {
  online: true,
  syncing: false,
  pending: 0,
  lastError: null,
  persisted: true,
  upgradeRequired: false,
  storage: 'ok',
  storageLost: false,
  stale: [],
  quarantined: [],
  leader: true,
};

export function scriptedClient(start = Date.UTC(2026, 11, 3, 9, 0, 0)): ScriptedClient {
  const traces = new Set<(trace: CommandTrace) => void>();
  const statuses = new Set<(status: ClientStatus) => void>();
  const rejectedListeners = new Set<(rejection: RejectedRecord) => void>();
  const inbox: RejectedRecord[] = [];
  let status = BASE_STATUS;
  let ids = 0;
  const emit = (trace: CommandTrace) => {
    for (const listener of traces) listener(trace);
  };
  const unused = () => {
    throw new Error('not scripted');
  };
  const client: ScriptedClient = {
    clock: start,
    dismissed: [],
    onlineCalls: [],
    run(name, args, scope) {
      const id = `cmd-${++ids}-0000-0000`;
      emit({ id, stage: 'executed', at: client.clock, name, args, scope });
      emit({ id, stage: 'applied', at: client.clock });
      return id;
    },
    step(id, stage) {
      emit({ id, stage, at: client.clock });
    },
    reject(id, code, message) {
      emit({ id, stage: 'rejected', at: client.clock, code, message });
    },
    setStatus(patch) {
      status = { ...status, ...patch };
      for (const listener of statuses) listener(status);
    },
    inbox(rejection) {
      inbox.push(rejection);
      for (const listener of rejectedListeners) listener(rejection);
    },
    execute: unused,
    query: unused,
    subscribe: unused,
    loaded: async () => undefined,
    status: () => status,
    onStatus(listener) {
      statuses.add(listener);
      listener(status);
      return () => statuses.delete(listener);
    },
    onRejected(listener) {
      rejectedListeners.add(listener);
      return () => rejectedListeners.delete(listener);
    },
    rejections: async () => [...inbox],
    async dismiss(ids) {
      client.dismissed.push(...ids);
    },
    async setOnline(online) {
      client.onlineCalls.push(online);
    },
    onCommand(listener) {
      traces.add(listener);
      return () => traces.delete(listener);
    },
    close: async () => undefined,
  };
  return client;
}

export interface ScriptedServer extends DevtoolsServer {
  readonly records: AuditRecord[];
  scopeEvents: Map<string, WireEvent[]>;
  /** Answer audit reads with `403 forbidden`. */
  forbid: boolean;
  auditReads: number;
}

export function scriptedServer(): ScriptedServer {
  const server: ScriptedServer = {
    records: [],
    scopeEvents: new Map(),
    forbid: false,
    auditReads: 0,
    async audit(scope) {
      server.auditReads++;
      if (server.forbid) throw new ServerRefusal(403, 'forbidden', 'no audit right on this scope');
      return server.records.filter((r) => r.scope === scope);
    },
    async events(scope, count) {
      const all = server.scopeEvents.get(scope) ?? [];
      return { head: all.at(-1)?.seq ?? 0, events: all.slice(-count).reverse() };
    },
    async history(scope, seq) {
      return (server.scopeEvents.get(scope) ?? []).filter((e) => e.seq <= seq);
    },
  };
  return server;
}

/** An audit record with the defaults a test does not care about. */
export function auditRecord(
  patch: Partial<AuditRecord> & Pick<AuditRecord, 'commandId' | 'name' | 'outcome'>,
): AuditRecord {
  return {
    id: 1,
    recordedAt: Date.UTC(2026, 11, 3, 9, 0, 5),
    scope: 'board:b1',
    clientId: 'client-x',
    userId: 'ann',
    args: {},
    seq: 1,
    baseSeq: 0,
    headSeq: 0,
    code: null,
    message: null,
    eventSeqs: [],
    intervenedCount: 0,
    intervened: [],
    ...patch,
  };
}

/** The context the views get, over a scripted client and server. */
export function scriptedContext(
  client: ScriptedClient,
  server: DevtoolsServer | null,
  extra: {
    scopes?: string[];
    tabs?: TabInfo[];
    estimate?: { usage?: number; quota?: number } | null;
    app?: AnyApp;
  } = {},
): PanelContext {
  return {
    client,
    recorder: new DevtoolsRecorder(client, { now: () => client.clock }),
    server,
    app: extra.app ?? null,
    scopes: extra.scopes ?? [],
    tabs: () => extra.tabs ?? [],
    estimate: async () => (extra.estimate === undefined ? null : extra.estimate),
    now: () => client.clock,
  };
}

/** Lets the recorder's and the views' microtasks and promises run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}
