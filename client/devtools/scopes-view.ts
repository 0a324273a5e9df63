import type { WireEvent } from '../../shared/index.ts';
import type { AuditIndex } from './audit-index.ts';
import { clock, fill, h, shortId } from './dom.ts';
import { type RowWrite, rowsWrittenBy } from './event-rows.ts';
import type { PanelContext, View } from './panel-context.ts';

/** The newest events shown per scope. */
const EVENTS_SHOWN = 30;

interface ScopeRead {
  head?: number;
  events?: WireEvent[];
  error?: string;
}

/**
 * Scopes: each scope's server head, this device's pending commands in it and its stale or
 * quarantined state; on demand its newest events (newest first) with the command that caused
 * each, the data a selected event carries and the rows it wrote, before and after.
 */
export function scopesView(ctx: PanelContext, audit: AuditIndex): View {
  const reads = new Map<string, ScopeRead>();
  let selected: { scope: string; seq: number } | null = null;
  /** What the selected event wrote: loading, the rows, or why not. */
  let writes: { key: string; rows?: RowWrite[]; error?: string } | null = null;
  const body = h('div', {});
  const el = h(
    'section',
    { class: 'view', 'data-testid': 'devtools-view-scopes' },
    h(
      'div',
      { class: 'controls' },
      h('button', { 'data-testid': 'devtools-scopes-refresh', onclick: () => void readAll() }, 'read heads'),
    ),
    body,
  );

  const scopes = () => {
    const all = new Set(ctx.scopes);
    for (const entry of ctx.recorder.commands()) if (entry.scope) all.add(entry.scope);
    return [...all].sort();
  };

  async function read(scope: string): Promise<void> {
    if (!ctx.server) return;
    try {
      const { head, events } = await ctx.server.events(scope, EVENTS_SHOWN);
      reads.set(scope, { head, events });
    } catch (error) {
      reads.set(scope, { error: error instanceof Error ? error.message : String(error) });
    }
    render();
  }

  async function readAll(): Promise<void> {
    await Promise.all(scopes().map(read));
  }

  function render(): void {
    const status = ctx.recorder.status();
    const commands = ctx.recorder.commands();
    fill(
      body,
      ctx.server ? null : h('p', { class: 'muted' }, 'no server given: heads and events are not read'),
      h(
        'table',
        { class: 'grid' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['scope', 'server head', 'pending here', 'state', ''].map((t) => h('th', {}, t)),
          ),
        ),
        h(
          'tbody',
          {},
          scopes().map((scope) => {
            const info = reads.get(scope);
            const pending = commands.filter((c) => c.scope === scope && c.state === 'pending').length;
            const quarantined = status.quarantined.find((q) => q.scope === scope);
            const state = quarantined
              ? `quarantined at seq ${quarantined.seq} (${quarantined.type}: ${quarantined.message})`
              : status.stale.includes(scope)
                ? 'stale (events newer than this app version)'
                : 'ok';
            return h(
              'tr',
              { 'data-testid': 'devtools-scope', 'data-scope': scope },
              h('td', {}, scope),
              h('td', { 'data-testid': 'devtools-scope-head' }, info?.head ?? (info?.error ? 'error' : '—')),
              h('td', { 'data-testid': 'devtools-scope-pending' }, pending),
              h('td', { 'data-testid': 'devtools-scope-state' }, state),
              h(
                'td',
                {},
                ctx.server
                  ? h('button', { 'data-testid': 'devtools-scope-events', onclick: () => void read(scope) }, 'events')
                  : null,
              ),
            );
          }),
        ),
      ),
      scopes().map((scope) => events(scope)),
    );
  }

  function events(scope: string) {
    const info = reads.get(scope);
    if (info?.error) return h('p', { class: 'error' }, `${scope}: ${info.error}`);
    if (!info?.events) return null;
    return h(
      'div',
      { class: 'events' },
      h('h4', {}, `${scope}: newest events`),
      h(
        'ul',
        { class: 'list' },
        info.events.length === 0 ? h('li', { class: 'muted' }, 'no events') : null,
        info.events.map((event) => {
          const cause = audit.record(event.commandId);
          const mine = ctx.recorder.command(event.commandId);
          const open = selected?.scope === scope && selected.seq === event.seq;
          return h(
            'li',
            { 'data-testid': 'devtools-event', 'data-seq': event.seq, 'data-type': event.type },
            h(
              'button',
              {
                class: 'summary',
                onclick: () => {
                  selected = open ? null : { scope, seq: event.seq };
                  if (selected) void replay(scope, event.seq);
                  render();
                },
              },
              h('strong', {}, `#${event.seq} ${event.type}`),
              ` ← ${cause?.name ?? mine?.name ?? 'command'} ${shortId(event.commandId)}`,
              cause ? ` by ${cause.userId}` : mine ? ' (this device)' : '',
              h('span', { class: 'muted' }, ` ${clock(event.at)}`),
            ),
            open ? h('pre', { 'data-testid': 'devtools-event-data' }, JSON.stringify(event.data, null, 2)) : null,
            open ? rowsPart(`${scope}#${event.seq}`) : null,
          );
        }),
      ),
    );
  }

  /** Replays the scope up to `seq` with the app's projections: the rows that event wrote. */
  async function replay(scope: string, seq: number): Promise<void> {
    const { app, server } = ctx;
    const key = `${scope}#${seq}`;
    if (!app || !server) return;
    writes = { key };
    try {
      const rows = rowsWrittenBy(app, await server.history(scope, seq), seq);
      if (writes?.key === key) writes = { key, rows };
    } catch (error) {
      if (writes?.key === key) writes = { key, error: error instanceof Error ? error.message : String(error) };
    }
    render();
  }

  function rowsPart(key: string) {
    if (!ctx.app) return h('p', { class: 'muted' }, 'pass `app` to mountDevtools to see the rows this event wrote');
    if (writes?.key !== key) return null;
    if (writes.error) return h('p', { class: 'error' }, `rows not replayed: ${writes.error}`);
    if (!writes.rows) return h('p', { class: 'muted' }, 'replaying the scope…');
    return h(
      'table',
      { class: 'grid', 'data-testid': 'devtools-event-rows' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['table', 'key', 'before', 'after'].map((t) => h('th', {}, t)),
        ),
      ),
      h(
        'tbody',
        {},
        writes.rows.length === 0 ? h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'it wrote no row')) : null,
        writes.rows.map((write) =>
          h(
            'tr',
            { 'data-testid': 'devtools-row-write', 'data-table': write.table, 'data-key': write.key },
            h('td', {}, write.table),
            h('td', {}, write.key),
            h(
              'td',
              { 'data-testid': 'devtools-row-before' },
              h('pre', {}, write.before ? JSON.stringify(write.before, null, 1) : '(none)'),
            ),
            h(
              'td',
              { 'data-testid': 'devtools-row-after' },
              h('pre', {}, write.after ? JSON.stringify(write.after, null, 1) : '(deleted)'),
            ),
          ),
        ),
      ),
    );
  }

  const stop = ctx.recorder.subscribe(render);
  render();
  void readAll();
  return {
    el,
    render,
    dispose: () => stop(),
  };
}
