import type { AuditRecord } from '../../shared/index.ts';
import type { AuditIndex } from './audit-index.ts';
import { after, clock, fill, h, shortId } from './dom.ts';
import type { PanelContext, View } from './panel-context.ts';
import type { CommandEntry, CommandStage } from './recorder.ts';

/** A command's state as the panel shows it: the server's audit outcome refines `confirmed`. */
export type ShownState = 'pending' | 'confirmed' | 'rebased' | 'diverged' | 'rejected';

export function shownState(entry: CommandEntry, record: AuditRecord | undefined): ShownState {
  if (entry.state !== 'confirmed') return entry.state;
  return record?.outcome === 'rebased' || record?.outcome === 'diverged' ? record.outcome : 'confirmed';
}

const STAGES: ReadonlyArray<readonly [CommandStage, string]> = [
  ['executed', 'executed'],
  ['applied', 'applied (visible to queries)'],
  ['durable', 'durable (outbox committed)'],
];

/**
 * When the command reached the server. The server's audit record says it exactly (its clock);
 * without one, the page only sees a push begin through the status, which lags the worker.
 */
function pushedStep(entry: CommandEntry, record: AuditRecord | undefined): { at: number | undefined; label: string } {
  if (record) return { at: record.recordedAt, label: 'pushed (the server recorded it; server clock)' };
  return { at: entry.times.pushed, label: 'pushed (≈ a push began, as this page saw it)' };
}

/** How far back the audit is read before the oldest command shown (covers clock skew). */
const AUDIT_MARGIN_MS = 60 * 60 * 1000;

/**
 * Commands: this device's commands, newest first, filtered by state, name and scope; a click
 * opens the timeline (executed → applied → durable → pushed → confirmed/rejected/rebased with
 * times), the server's audit outcome and the commands whose events intervened.
 */
export function commandsView(ctx: PanelContext, audit: AuditIndex): View {
  const expanded = new Set<string>();
  const filter = { state: 'all', name: '', scope: 'all' };
  const list = h('ul', { class: 'list', 'data-testid': 'devtools-commands' });
  const auditNote = h('span', { class: 'muted', 'data-testid': 'devtools-audit-state' });
  const scopeSelect = h('select', {
    'data-testid': 'devtools-filter-scope',
    onchange: () => setFilter('scope', scopeSelect.value),
  });
  const controls = h(
    'div',
    { class: 'controls' },
    h(
      'select',
      {
        'data-testid': 'devtools-filter-state',
        onchange: (e) => setFilter('state', (e.target as HTMLSelectElement).value),
      },
      ['all', 'pending', 'confirmed', 'rebased', 'diverged', 'rejected'].map((s) => h('option', { value: s }, s)),
    ),
    h('input', {
      type: 'search',
      placeholder: 'command name',
      'data-testid': 'devtools-filter-name',
      oninput: (e) => setFilter('name', (e.target as HTMLInputElement).value),
    }),
    scopeSelect,
    h('button', { 'data-testid': 'devtools-audit-refresh', onclick: () => void refreshAudit() }, 'refresh audit'),
    auditNote,
  );
  const el = h('section', { class: 'view', 'data-testid': 'devtools-view-commands' }, controls, list);
  let settledSeen = -1;

  function setFilter(key: keyof typeof filter, value: string): void {
    filter[key] = value;
    render();
  }

  function refreshAudit(): Promise<void> {
    const entries = ctx.recorder.commands();
    const scopes = new Set<string>(ctx.scopes);
    for (const entry of entries) if (entry.scope) scopes.add(entry.scope);
    const times = entries.map((e) => e.times.executed ?? e.times.rejected ?? ctx.now());
    const since = times.length > 0 ? Math.min(...times) - AUDIT_MARGIN_MS : undefined;
    return audit.refresh(scopes, since);
  }

  function render(): void {
    const entries = ctx.recorder.commands();
    // A command settled since the last read: its audit record now exists.
    const settled = entries.filter((e) => e.state !== 'pending').length;
    if (settled !== settledSeen) {
      settledSeen = settled;
      if (settled > 0) queueMicrotask(() => void refreshAudit());
    }
    const scopes = [...new Set(entries.map((e) => e.scope ?? '?'))].sort();
    if (scopeSelect.options.length !== scopes.length + 1) {
      fill(
        scopeSelect,
        h('option', { value: 'all' }, 'all scopes'),
        scopes.map((s) => h('option', { value: s }, s)),
      );
      scopeSelect.value = filter.scope;
    }
    auditNote.textContent = auditText(audit);
    const shown = entries.filter((entry) => {
      const state = shownState(entry, audit.record(entry.id));
      return (
        (filter.state === 'all' || state === filter.state) &&
        entry.name.toLowerCase().includes(filter.name.toLowerCase()) &&
        (filter.scope === 'all' || (entry.scope ?? '?') === filter.scope)
      );
    });
    fill(
      list,
      shown.length === 0 ? h('li', { class: 'muted' }, 'no commands yet') : null,
      shown.map((entry) => row(entry)),
    );
  }

  function row(entry: CommandEntry) {
    const record = audit.record(entry.id);
    const state = shownState(entry, record);
    const open = expanded.has(entry.id);
    return h(
      'li',
      {
        class: `command ${state}`,
        'data-testid': 'devtools-command',
        'data-id': entry.id,
        'data-name': entry.name,
        'data-state': state,
      },
      h(
        'button',
        {
          class: 'summary',
          'data-testid': 'devtools-command-toggle',
          'aria-expanded': String(open),
          onclick: () => {
            if (!expanded.delete(entry.id)) expanded.add(entry.id);
            render();
          },
        },
        h('span', { class: `badge ${state}` }, state),
        h('strong', {}, entry.name),
        h('span', { class: 'muted' }, entry.scope ?? ''),
        h('span', { class: 'muted' }, shortId(entry.id)),
        entry.code ? h('code', {}, entry.code) : null,
      ),
      open ? details(entry, record, state) : null,
    );
  }

  function details(entry: CommandEntry, record: AuditRecord | undefined, state: ShownState) {
    const start = entry.times.executed;
    const stamp = (at: number | undefined) =>
      at === undefined ? '—' : `${clock(at)}${start !== undefined ? `  ${after(at - start)}` : ''}`;
    const final = entry.state === 'pending' ? null : entry.state === 'rejected' ? 'rejected' : state;
    const finalAt = entry.state === 'rejected' ? entry.times.rejected : entry.times.confirmed;
    return h(
      'div',
      { class: 'details' },
      h(
        'ol',
        { class: 'timeline', 'data-testid': 'devtools-timeline' },
        [
          ...STAGES.map(([stage, label]) => ({ stage, at: entry.times[stage], label })),
          { stage: 'pushed', ...pushedStep(entry, record) },
        ].map(({ stage, at, label }) =>
          h(
            'li',
            { 'data-stage': stage, class: at === undefined ? 'muted' : '' },
            h('span', { class: 'stage' }, label),
            h('span', { class: 'time' }, stamp(at)),
          ),
        ),
        final
          ? h(
              'li',
              { 'data-stage': final, class: `final ${final}` },
              h('span', { class: 'stage' }, final),
              h('span', { class: 'time' }, stamp(finalAt)),
            )
          : h('li', { class: 'muted', 'data-stage': 'waiting' }, 'waiting for the server'),
      ),
      entry.code ? h('p', { class: 'reason' }, h('code', {}, entry.code), ' ', entry.message ?? '') : null,
      entry.fromInbox
        ? h('p', { class: 'muted' }, 'from the rejection inbox (an earlier session or another tab)')
        : null,
      serverPart(entry, record),
      entry.state === 'rejected' && !entry.dismissed
        ? h(
            'button',
            {
              'data-testid': 'devtools-dismiss',
              onclick: () =>
                void ctx.client.dismiss([entry.id]).then(
                  () => ctx.recorder.markDismissed([entry.id]),
                  () => undefined,
                ),
            },
            'dismiss rejection',
          )
        : null,
      entry.dismissed ? h('p', { class: 'muted' }, 'dismissed') : null,
    );
  }

  function serverPart(entry: CommandEntry, record: AuditRecord | undefined) {
    if (!record) {
      return h(
        'p',
        { class: 'muted', 'data-testid': 'devtools-audit', 'data-outcome': 'none' },
        entry.state === 'pending'
          ? 'not settled by the server yet'
          : `server audit: ${auditText(audit) || 'no record read'}`,
      );
    }
    return h(
      'div',
      { class: 'audit', 'data-testid': 'devtools-audit', 'data-outcome': record.outcome },
      h(
        'p',
        {},
        'server: ',
        h('span', { class: `badge ${record.outcome}` }, record.outcome),
        record.code ? [' ', h('code', {}, record.code), ' ', record.message ?? ''] : null,
        h(
          'span',
          { class: 'muted' },
          `  seq ${record.seq} · base ${record.baseSeq} · head ${record.headSeq} · recorded ${clock(record.recordedAt)} by ${record.userId}`,
        ),
      ),
      record.intervenedCount === 0
        ? h('p', { class: 'muted' }, 'nothing intervened between its base and the server run')
        : h(
            'div',
            {},
            h('p', {}, `${record.intervenedCount} event(s) intervened:`),
            h(
              'ul',
              { class: 'intervened' },
              record.intervened.map((event) => {
                const cause = audit.record(event.commandId);
                return h(
                  'li',
                  {
                    'data-testid': 'devtools-intervened',
                    'data-command-id': event.commandId,
                    'data-command-name': cause?.name ?? '',
                  },
                  `seq ${event.seq} ${event.type} ← `,
                  h('strong', {}, cause?.name ?? 'a command'),
                  cause ? ` by ${cause.userId}` : '',
                  h(
                    'span',
                    { class: 'muted' },
                    ` (command ${shortId(event.commandId)}, client ${shortId(event.clientId)})`,
                  ),
                );
              }),
            ),
          ),
    );
  }

  const stopRecorder = ctx.recorder.subscribe(render);
  const stopAudit = audit.subscribe(render);
  render();
  return {
    el,
    render,
    dispose() {
      stopRecorder();
      stopAudit();
    },
  };
}

function auditText(audit: AuditIndex): string {
  const state = audit.state;
  switch (state.kind) {
    case 'off':
      return 'no server given: audit not read';
    case 'idle':
    case 'ready':
      return '';
    case 'loading':
      return 'reading the audit…';
    case 'forbidden':
      return `audit not readable with this token (${state.message})`;
    case 'error':
      return `audit failed: ${state.message}`;
    default:
      return '';
  }
}
