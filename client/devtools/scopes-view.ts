import type { WireEvent } from '../../shared/index.ts';
import type { AuditIndex } from './audit-index.ts';
import { clock, fill, h, shortId } from './dom.ts';
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
 * each, and the data a selected event carries.
 */
export function scopesView(ctx: PanelContext, audit: AuditIndex): View {
  const reads = new Map<string, ScopeRead>();
  let selected: { scope: string; seq: number } | null = null;
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
                  render();
                },
              },
              h('strong', {}, `#${event.seq} ${event.type}`),
              ` ← ${cause?.name ?? mine?.name ?? 'command'} ${shortId(event.commandId)}`,
              cause ? ` by ${cause.userId}` : mine ? ' (this device)' : '',
              h('span', { class: 'muted' }, ` ${clock(event.at)}`),
            ),
            open ? h('pre', { 'data-testid': 'devtools-event-data' }, JSON.stringify(event.data, null, 2)) : null,
          );
        }),
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
