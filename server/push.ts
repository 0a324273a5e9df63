import {
  type AnyApp,
  type AuditOutcome,
  digestEvents,
  type ExecuteResult,
  executeCommand,
  OverlayTables,
  type PushCommand,
  type PushRequest,
  type PushResult,
  RUNTIME_CODES,
  WeftError,
  type WireEvent,
} from '../shared/index.ts';
import type { Auth, Principal } from './auth.ts';
import type { FaultHook } from './faults.ts';
import type { KeyedLock } from './keyed-lock.ts';
import type { LiveHub } from './live-hub.ts';
import type { ServerMetrics } from './metrics.ts';
import { countOverwrites, type ForeignEvent, findOverwrites, markOverwrites } from './overwrites.ts';
import { type PlannedCommand, planPush } from './push-plan.ts';
import type { ScopeCache, ScopeState } from './scope-cache.ts';
import { type CommandOutcome, type EventStore, StoreConflict, type StoredResult } from './store/port.ts';

/** How many intervening events an audit record names; the count is always exact. */
const INTERVENED_LISTED = 20;
/** How many stored events one audit record may read to tell other clients' events from the client's own. */
const INTERVENED_SCAN = 1000;
/**
 * Attempts when another writer (a second node) moved a head between read and commit. Each
 * retry waits a jittered, growing moment so racing nodes stop colliding in lockstep.
 */
const COMMIT_ATTEMPTS = 20;
const RETRY_BASE_MS = 2;

export interface PushDeps {
  readonly app: AnyApp;
  readonly store: EventStore;
  readonly auth: Auth;
  readonly scopes: ScopeCache;
  readonly hub: LiveHub;
  readonly locks: KeyedLock;
  readonly now: () => number;
  readonly metrics: ServerMetrics;
  /** Largest event a command may emit, in bytes of JSON (`Limits.maxEventBytes`). */
  readonly maxEventBytes?: number;
  /** Largest args of one command as stored, in bytes of JSON (`Limits.maxArgsBytes`). */
  readonly maxArgsBytes?: number;
  /** CPU time a push runs commands before it lets other requests in (`Limits.pushSliceMs`). */
  readonly sliceMs?: number;
  /** Test-only fault injection (see `faults.ts`). */
  readonly fault?: FaultHook | undefined;
}

/**
 * The push pipeline of DESIGN §4, for one request: plan (dedupe, seq order, validation) →
 * authorize every scope written → run each new command against its scope's state → commit
 * events, results, client position and audit records in one store transaction → fan out.
 * Any error before the commit leaves the store untouched.
 */
export async function handlePush(deps: PushDeps, principal: Principal, request: PushRequest): Promise<PushResult[]> {
  if (request.commands.length === 0) return [];
  const releaseClient = await deps.locks.acquire([`client:${request.clientId}`]);
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await pushOnce(deps, principal, request);
      } catch (error) {
        if (!(error instanceof StoreConflict) || attempt >= COMMIT_ATTEMPTS) throw error;
        await sleep(Math.random() * RETRY_BASE_MS * Math.min(attempt, 10));
      }
    }
  } finally {
    releaseClient();
  }
}

async function pushOnce(deps: PushDeps, principal: Principal, request: PushRequest): Promise<PushResult[]> {
  const { clientId, commands } = request;
  const lookup = await deps.store.lookupClient(clientId, {
    seqs: commands.map((c) => c.seq),
    commandIds: commands.map((c) => c.id),
  });
  if (lookup.client && lookup.client.userId !== principal.userId) {
    throw new WeftError('forbidden', `client ${clientId} belongs to another user`);
  }
  const plan = planPush(
    deps.app,
    clientId,
    commands,
    lookup,
    request.appVersion ?? deps.app.version,
    deps.maxArgsBytes,
  );
  const fresh = plan.filter((p): p is Extract<PlannedCommand, { kind: 'new' }> => p.kind === 'new');
  const scopes = [...new Set(fresh.map((p) => p.scope))];
  for (const scope of scopes) {
    if (!(await deps.auth.authorize(principal, 'write', scope))) {
      throw new WeftError('forbidden', `you may not write ${scope}`);
    }
  }
  await deps.fault?.('push.afterAuthorize');

  const outcomes: CommandOutcome[] = [];
  const touched = new Map<string, { state: ScopeState; changes: OverlayTables; head: number }>();
  const releaseScopes = once(await deps.locks.acquire(scopes.map((scope) => `scope:${scope}`)));
  const lockedAt = performance.now();
  try {
    for (const scope of scopes) {
      const state = await deps.scopes.get(scope);
      touched.set(scope, { state, changes: new OverlayTables(deps.app.tables, state.tables), head: state.head });
    }
    const recordedAt = deps.now();
    // Commands of one push usually share a base: read the events since it once per scope.
    const reads = new Map<string, Promise<WireEvent[]>>();
    const slice = new Slice(deps.sliceMs);
    for (const { command, scope, argsJson, resolved, oversized } of fresh) {
      // Awaited only when due: an await a command is a microtask turn and a promise each.
      if (slice.due()) await slice.pause();
      const work = touched.get(scope);
      if (!work) throw new Error(`scope ${scope} was not loaded`);
      if (command.baseSeq > work.head) {
        throw new WeftError('cursor_ahead', `baseSeq ${command.baseSeq} is past the head ${work.head} of ${scope}`, {
          scope,
          head: work.head,
        });
      }
      const result: ExecuteResult = oversized
        ? { ok: false, scope, code: 'payload_too_large', message: oversized }
        : hideFailure(
            limitEventSize(
              executeCommand(deps.app, command, () => work.changes, resolved),
              deps.maxEventBytes,
            ),
            { clientId, commandId: command.id, name: command.name },
          );
      const foreign: ForeignEvent[] = [];
      const found = intervening(deps.store, work.state, clientId, command.baseSeq, work.head, reads, foreign);
      const intervened = found instanceof Promise ? await found : found;
      if (result.ok && foreign.length > 0) {
        const overwrote = findOverwrites(deps.app, work.changes, result.writes, foreign);
        intervened.intervened = markOverwrites(intervened.intervened, overwrote, foreign);
      }
      // Plain literals of one shape, no spreads: a push builds a hundred of these.
      const applied = result.ok;
      const audit = {
        recordedAt,
        baseSeq: command.baseSeq,
        headSeq: work.head,
        intervenedCount: intervened.intervenedCount,
        intervened: intervened.intervened,
        outcome: applied ? appliedOutcome(command, intervened.intervenedCount, result.events) : ('rejected' as const),
      };
      outcomes.push({
        clientId,
        userId: principal.userId,
        seq: command.seq,
        commandId: command.id,
        name: command.name,
        args: command.args,
        argsJson,
        at: command.at,
        scope,
        status: applied ? 'applied' : 'rejected',
        events: applied ? result.events : [],
        code: applied ? null : result.code,
        message: applied ? null : result.message,
        audit,
      });
      if (result.ok) {
        result.writes.commitTo(work.changes);
        work.head += result.events.length;
      }
    }

    await deps.fault?.('push.afterRun');
    await deps.fault?.('push.beforeCommit');
    const expectedHeads = new Map([...touched].map(([scope, work]) => [scope, work.state.head]));
    const pending = deps.store.commit({
      outcomes,
      expectedHeads,
      expectedClientSeqs: new Map([[clientId, lookup.client?.lastSeq ?? 0]]),
    });
    // A pipelined commit: with a store that applies commits in order, the scopes move on as
    // soon as this one is queued, so the next push to them runs now and its commit can join
    // the same group (one transaction and fsync for both). It builds on events not yet durable:
    // if this commit fails, the scopes are dropped from the cache and the next push's commit
    // fails its head check and retries from the store. Nothing is published or answered, and
    // no snapshot is taken, before the store confirms.
    const pipelined = deps.store.ordersCommits === true;
    if (pipelined) {
      const settled = pending.then(
        () => undefined,
        () => undefined,
      );
      const queued = numberEvents(outcomes, expectedHeads);
      for (const [scope, work] of touched) {
        deps.scopes.advance(work.state, work.changes, queued.get(scope) ?? [], work.head, settled);
      }
      releaseScopes();
    }
    const committed = await pending.catch((error: unknown) => {
      if (pipelined || error instanceof StoreConflict) for (const scope of scopes) deps.scopes.invalidate(scope);
      throw error;
    });
    await deps.fault?.('push.afterCommit');

    // The committed events by scope, in one pass over the outcomes.
    const byScope = new Map<string, WireEvent[]>();
    committed.events.forEach((list, i) => {
      const scope = outcomes[i]?.scope;
      if (scope === undefined || list.length === 0) return;
      const events = byScope.get(scope);
      if (events) for (const event of list) events.push(event);
      else byScope.set(scope, list.slice());
    });
    for (const [scope, work] of touched) {
      const events = byScope.get(scope) ?? [];
      const head = committed.heads.get(scope) ?? work.head;
      if (pipelined) deps.scopes.confirm(work.state, head);
      else deps.scopes.advance(work.state, work.changes, events, head);
      deps.hub.publish(scope, events, head);
      deps.metrics.eventsAppended(scope, events.length);
      deps.metrics.scopePushed(scope, (performance.now() - lockedAt) / 1000);
    }
    // Counted per outcome, once a push: a labelled counter's lookup costs more than the add.
    const settledBy = new Map<AuditOutcome | 'duplicate', number>();
    let lost = 0;
    for (const outcome of outcomes) {
      settledBy.set(outcome.audit.outcome, (settledBy.get(outcome.audit.outcome) ?? 0) + 1);
      lost += countOverwrites(outcome.audit.intervened);
    }
    const duplicates = plan.length - outcomes.length;
    if (duplicates > 0) settledBy.set('duplicate', duplicates);
    for (const [outcome, count] of settledBy) deps.metrics.commandSettled(outcome, count);
    deps.metrics.lostUpdates(lost);
    await deps.fault?.('push.afterFanout');
    return await buildResults(deps.store, plan, outcomes, committed.events);
  } finally {
    releaseScopes();
  }
}

const utf8 = new TextEncoder();

function once(release: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}

/**
 * The events of a commit as the store will number them (DESIGN: `head + 1, head + 2, …` per
 * scope in the order given), for a state that moves on before the store answers.
 */
function numberEvents(
  outcomes: ReadonlyArray<CommandOutcome>,
  heads: ReadonlyMap<string, number>,
): Map<string, WireEvent[]> {
  const next = new Map(heads);
  const byScope = new Map<string, WireEvent[]>();
  for (const o of outcomes) {
    let head = next.get(o.scope) ?? 0;
    let list = byScope.get(o.scope);
    if (!list) {
      list = [];
      byScope.set(o.scope, list);
    }
    for (const e of o.events) {
      head++;
      list.push({
        seq: head,
        scope: o.scope,
        type: e.type,
        data: e.data,
        commandId: o.commandId,
        clientId: o.clientId,
        at: o.at,
      });
    }
    next.set(o.scope, head);
  }
  return byScope;
}

/**
 * Cuts a long run of commands into slices of `ms` of CPU time: at the end of each, the push
 * waits one turn of the event loop, so requests that arrived meanwhile (a health check, another
 * scope's push) are served instead of waiting for the whole push. The scopes stay locked.
 */
class Slice {
  readonly #ms: number;
  #started = performance.now();

  constructor(ms = Number.POSITIVE_INFINITY) {
    this.#ms = ms;
  }

  due(): boolean {
    return performance.now() - this.#started >= this.#ms;
  }

  async pause(): Promise<void> {
    if (!this.due()) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.#started = performance.now();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A command whose event is over the size limit settles as rejected, so it cannot wedge its client's queue. */
function limitEventSize(result: ExecuteResult, maxBytes = Number.POSITIVE_INFINITY): ExecuteResult {
  if (!result.ok) return result;
  if (maxBytes === Number.POSITIVE_INFINITY) return result;
  const big = result.events.find((event) => {
    const text = JSON.stringify(event.data);
    // A UTF-16 unit is at most 3 bytes of UTF-8: only a long text needs encoding to be sure.
    return text.length * 3 > maxBytes && utf8.encode(text).length > maxBytes;
  });
  if (!big) return result;
  return {
    ok: false,
    scope: result.scope,
    code: 'payload_too_large',
    message: `a ${big.type} event is over the ${maxBytes}-byte limit`,
  };
}

/**
 * A command whose handler (or the projection of an event it emitted) threw is a bug of the
 * app, not of the request: it settles as rejected `internal`, so it never wedges its client's
 * queue. The client gets an error id, never the exception; the log has both.
 */
function hideFailure(
  result: ExecuteResult,
  command: { clientId: string; commandId: string; name: string },
): ExecuteResult {
  if (result.ok || result.code !== RUNTIME_CODES.handlerFailed) return result;
  const errorId = `err-${crypto.randomUUID().slice(0, 8)}`;
  console.error(
    `weft: command ${command.name} (${command.commandId} of client ${command.clientId}) threw [${errorId}]: ${result.message}`,
  );
  return {
    ok: false,
    scope: result.scope,
    code: 'internal',
    message: `${command.name} failed on the server (error id ${errorId})`,
  };
}

/** clean: nothing intervened; rebased: something did but the events match the client's (or no digest); diverged: they differ. */
function appliedOutcome(
  command: PushCommand,
  intervenedCount: number,
  events: ReadonlyArray<{ type: string; data: unknown }>,
): AuditOutcome {
  if (command.digest !== undefined && command.digest !== digestEvents(events)) return 'diverged';
  return intervenedCount === 0 ? 'clean' : 'rebased';
}

/**
 * The events of other clients between the client's base and this command, from the in-memory
 * tail when it reaches back far enough, else one bounded read. The client's own events are not
 * conflicts: its optimistic run already included them. So the events of earlier commands in
 * this push never count (a push is one client's), and nothing past the state's head is read.
 * Exact for up to `INTERVENED_SCAN` events in the range; beyond that the events not scanned
 * are counted as foreign.
 */
function intervening(
  store: EventStore,
  state: ScopeState,
  clientId: string,
  baseSeq: number,
  head: number,
  reads: Map<string, Promise<WireEvent[]>>,
  /** Receives the foreign events themselves (for the lost-update probe), up to `INTERVENED_SCAN`. */
  events: ForeignEvent[] = [],
): Intervened | Promise<Intervened> {
  // Synchronous unless it must read the store: this runs once per command.
  if (head === baseSeq || baseSeq >= state.head) return { intervenedCount: 0, intervened: [] };
  const range = state.head - baseSeq;
  const recent = state.recent;
  const firstRecent = recent[0]?.seq ?? Number.POSITIVE_INFINITY;
  // Walk the in-memory tail in place: no copy of it.
  if (baseSeq + 1 >= firstRecent) return tally(clientId, recent, firstAfter(recent, baseSeq), range, events);
  return readOnce(reads, `${state.scope}:${baseSeq}`, () =>
    store.readEvents(state.scope, baseSeq, Math.min(range, INTERVENED_SCAN)),
  ).then((stored) => tally(clientId, stored, 0, range, events));
}

type Intervened = Pick<CommandOutcome['audit'], 'intervenedCount' | 'intervened'>;

/**
 * Counts and lists the other clients' events of `list` from index `from` on, which cover the
 * first of `range` events after the base; whatever lies beyond them counts as foreign.
 */
function tally(
  clientId: string,
  list: ReadonlyArray<WireEvent>,
  from: number,
  range: number,
  events: ForeignEvent[],
): Intervened {
  const listed: Array<{ seq: number; type: string; commandId: string; clientId: string }> = [];
  let foreign = 0;
  for (let i = from; i < list.length; i++) {
    const e = list[i] as WireEvent;
    if (e.clientId === clientId) continue;
    foreign++;
    if (listed.length < INTERVENED_LISTED) {
      listed.push({ seq: e.seq, type: e.type, commandId: e.commandId, clientId: e.clientId });
    }
    if (events.length < INTERVENED_SCAN) events.push(e);
  }
  return { intervenedCount: foreign + range - (list.length - from), intervened: listed };
}

/** The index of the first event with `seq > after` in events sorted by seq (binary search). */
function firstAfter(events: ReadonlyArray<WireEvent>, after: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((events[mid] as WireEvent).seq > after) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function readOnce(
  reads: Map<string, Promise<WireEvent[]>>,
  key: string,
  read: () => Promise<{ events: WireEvent[] }>,
): Promise<WireEvent[]> {
  let events = reads.get(key);
  if (!events) {
    events = read().then((answer) => answer.events);
    reads.set(key, events);
  }
  return events;
}

async function buildResults(
  store: EventStore,
  plan: ReadonlyArray<PlannedCommand>,
  outcomes: ReadonlyArray<CommandOutcome>,
  events: ReadonlyArray<WireEvent[]>,
): Promise<PushResult[]> {
  const fresh: PushResult[] = [];
  const results: PushResult[] = [];
  for (const planned of plan) {
    switch (planned.kind) {
      case 'new': {
        const i = fresh.length;
        const outcome = outcomes[i];
        if (!outcome) throw new Error('outcome missing for a new command');
        const result = resultOf(
          outcome.commandId,
          outcome.seq,
          outcome.status,
          events[i] ?? [],
          outcome.code,
          outcome.message,
        );
        fresh.push(result);
        results.push(result);
        break;
      }
      case 'repeat': {
        const original = results[planned.index];
        if (!original) throw new Error('a repeated command precedes its original');
        results.push({ ...original, duplicate: true });
        break;
      }
      case 'stored':
        results.push({ ...(await storedResult(store, planned.stored)), duplicate: true });
        break;
      default: {
        const unreachable: never = planned;
        throw new Error(`unhandled plan ${String(unreachable)}`);
      }
    }
  }
  return results;
}

async function storedResult(store: EventStore, stored: StoredResult): Promise<PushResult> {
  const events =
    stored.eventCount > 0 ? (await store.readEvents(stored.scope, stored.firstSeq - 1, stored.eventCount)).events : [];
  return resultOf(stored.commandId, stored.seq, stored.status, events, stored.code, stored.message);
}

function resultOf(
  id: string,
  seq: number,
  status: 'applied' | 'rejected',
  events: WireEvent[],
  code: string | null,
  message: string | null,
): PushResult {
  return status === 'applied'
    ? { id, seq, status, events }
    : { id, seq, status, code: code ?? 'rejected', message: message ?? '' };
}
