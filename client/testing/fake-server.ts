import * as v from 'valibot';
import {
  type AnyApp,
  applyEvent,
  canonicalJson,
  executeCommand,
  MemoryTables,
  type PushCommand,
  type PushResult,
  protocol,
  type WireEvent,
} from '../../shared/index.ts';

/**
 * A small in-memory server speaking the wire protocol of DESIGN §5, for the client's unit
 * tests (client/ may not import server/). It runs the shared command runtime, dedupes by
 * (clientId, seq), refuses seq gaps, and streams live events over SSE. Knobs make it produce
 * the answers that are hard to get from a healthy server: a poison command, a forgotten
 * client, a scope restored from an old backup, an upgrade demand.
 */
export class FakeServer {
  readonly #app: AnyApp;
  readonly events = new Map<string, WireEvent[]>();
  readonly #tables = new Map<string, MemoryTables>();
  readonly #clients = new Map<string, number>();
  readonly #results = new Map<string, PushResult & { readonly name: string; readonly argsJson: string }>();
  readonly #live = new Set<{ cursors: Map<string, number>; send: (text: string) => void }>();
  /** Commands with these names make the whole push a `400 bad_request`. */
  readonly poison = new Set<string>();
  /** Whether that 400 names the culprit in `commandId`, as the real server does. */
  namesCulprit = false;
  /** Answers every push with this error while set. */
  pushError: { status: number; code: string; details?: Record<string, unknown> } | null = null;
  /** Commands applied, duplicates not counted. */
  applied = 0;

  constructor(app: AnyApp) {
    this.#app = app;
  }

  readonly handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname === '/v1/push' && request.method === 'POST') return this.#push(await request.json());
    if (url.pathname === '/v1/pull') {
      const scope = url.searchParams.get('scope') ?? '';
      return this.#pull(
        scope,
        Number(url.searchParams.get('after') ?? 0),
        Number(url.searchParams.get('limit') ?? 1000),
      );
    }
    if (url.pathname === '/v1/live') return this.#follow(url.searchParams.getAll('scope'));
    return error(404, 'not_found', 'no such route');
  };

  /** The server loses the client's record (restored without it). */
  forgetClient(clientId: string): void {
    this.#clients.delete(clientId);
    for (const key of [...this.#results.keys()]) if (key.startsWith(`${clientId}:`)) this.#results.delete(key);
  }

  /** The server is restored from a backup in which the client's last command was `lastSeq`. */
  rewindClient(clientId: string, lastSeq: number): void {
    this.#clients.set(clientId, lastSeq);
    for (const [key, result] of [...this.#results]) {
      if (key.startsWith(`${clientId}:`) && result.seq > lastSeq) this.#results.delete(key);
    }
  }

  /** The scope is restored from a backup that ends at `head`. */
  truncate(scope: string, head: number): void {
    const kept = (this.events.get(scope) ?? []).filter((event) => event.seq <= head);
    this.events.set(scope, kept);
    const tables = new MemoryTables(this.#app.tables);
    for (const event of kept) applyEvent(this.#app, tables, event);
    this.#tables.set(scope, tables);
  }

  /** The projections of a scope, as the server's events make them. */
  dump(scope: string): Record<string, unknown[]> {
    return this.#scope(scope).dump();
  }

  #push(body: unknown): Response {
    if (this.pushError) return error(this.pushError.status, this.pushError.code, 'refused', this.pushError.details);
    const parsed = v.safeParse(protocol.PushRequestSchema, body);
    if (!parsed.success) return error(400, 'bad_request', v.summarize(parsed.issues));
    const { clientId, commands } = parsed.output;
    const culprit = commands.find((command) => this.poison.has(command.name));
    if (culprit) return error(400, 'bad_request', 'poison', this.namesCulprit ? { commandId: culprit.id } : {});
    let last = this.#clients.get(clientId) ?? 0;
    if (!this.#clients.has(clientId) && commands[0] && commands[0].seq !== 1) {
      return error(409, 'client_unknown', 'who are you?', { expected: 1 });
    }
    for (const command of commands) {
      const stored = this.#results.get(`${clientId}:${command.seq}`);
      if (command.seq <= last) {
        if (
          stored?.id !== command.id ||
          stored.name !== command.name ||
          stored.argsJson !== canonicalJson(command.args)
        ) {
          return error(409, 'idempotency_conflict', `seq ${command.seq} was another command`);
        }
      } else if (command.seq !== last + 1) return error(409, 'seq_gap', 'gap', { expected: last + 1 });
      else last = command.seq;
    }
    const results: PushResult[] = [];
    for (const command of commands) {
      const key = `${clientId}:${command.seq}`;
      const stored = this.#results.get(key);
      if (stored) {
        const { name: _name, argsJson: _args, ...result } = stored;
        results.push({ ...result, duplicate: true });
        continue;
      }
      const result = this.#run(clientId, command);
      this.#results.set(key, { ...result, name: command.name, argsJson: canonicalJson(command.args) });
      this.#clients.set(clientId, command.seq);
      results.push(result);
    }
    return Response.json({ results });
  }

  #run(clientId: string, command: PushCommand): PushResult {
    const { id, seq } = command;
    const result = executeCommand(this.#app, command, (scope) => this.#scope(scope));
    if (!result.ok) return { id, seq, status: 'rejected', code: result.code, message: result.message };
    this.applied++;
    const stream = this.events.get(result.scope) ?? [];
    this.events.set(result.scope, stream);
    const events = result.events.map(
      (event, i): WireEvent => ({
        ...event,
        seq: stream.length + i + 1,
        scope: result.scope,
        commandId: id,
        clientId,
        at: command.at,
      }),
    );
    result.writes.commitTo(this.#scope(result.scope));
    stream.push(...events);
    if (events.length > 0) this.#broadcast(result.scope, events);
    return { id, seq, status: 'applied', events };
  }

  #pull(scope: string, after: number, limit: number): Response {
    const stream = this.events.get(scope) ?? [];
    if (after > stream.length) return error(409, 'cursor_ahead', 'cursor past head', { scope });
    const events = stream.slice(after, after + limit);
    return Response.json({ scope, events, head: stream.length, more: after + events.length < stream.length });
  }

  #follow(params: string[]): Response {
    const cursors = new Map<string, number>();
    for (const param of params) {
      const at = param.lastIndexOf(':');
      const scope = param.slice(0, at);
      const after = Number(param.slice(at + 1));
      if (after > (this.events.get(scope)?.length ?? 0))
        return error(409, 'cursor_ahead', 'cursor past head', { scope });
      cursors.set(scope, after);
    }
    let subscriber: { cursors: Map<string, number>; send: (text: string) => void } | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const encoder = new TextEncoder();
        subscriber = { cursors, send: (text) => controller.enqueue(encoder.encode(text)) };
        subscriber.send(': connected\n\n');
        for (const [scope, after] of cursors) {
          const backlog = (this.events.get(scope) ?? []).slice(after);
          if (backlog.length > 0) this.#send(subscriber, scope, backlog);
        }
        this.#live.add(subscriber);
      },
      cancel: () => {
        if (subscriber) this.#live.delete(subscriber);
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  }

  #broadcast(scope: string, events: WireEvent[]): void {
    for (const subscriber of this.#live) if (subscriber.cursors.has(scope)) this.#send(subscriber, scope, events);
  }

  #send(subscriber: { send: (text: string) => void }, scope: string, events: WireEvent[]): void {
    const head = this.events.get(scope)?.length ?? 0;
    subscriber.send(`event: events\ndata: ${JSON.stringify({ scope, events, head })}\n\n`);
  }

  #scope(scope: string): MemoryTables {
    const existing = this.#tables.get(scope);
    if (existing) return existing;
    const tables = new MemoryTables(this.#app.tables);
    this.#tables.set(scope, tables);
    return tables;
  }
}

function error(status: number, code: string, message: string, details: Record<string, unknown> = {}): Response {
  return Response.json({ error: { ...details, code, message } }, { status });
}
