import { bytes, clock, fill, h, shortId } from './dom.ts';
import type { PanelContext, View } from './panel-context.ts';

/**
 * Tabs and sync: whether this tab leads (hosts the engine), the other tabs of this client, the
 * connection (online, syncing, reconnects), the last errors, and storage: its state, whether it
 * is persisted, and the usage the browser reports.
 */
export function tabsView(ctx: PanelContext): View {
  let estimate: { usage?: number; quota?: number } | null | undefined;
  const body = h('div', {});
  const el = h('section', { class: 'view', 'data-testid': 'devtools-view-tabs' }, body);

  function render(): void {
    const status = ctx.recorder.status();
    const errors = ctx.recorder.errors();
    const tabs = ctx.tabs();
    const dl = (pairs: ReadonlyArray<readonly [string, string, string]>) =>
      h(
        'dl',
        {},
        pairs.map(([term, value, id]) => [h('dt', {}, term), h('dd', { 'data-testid': `devtools-${id}` }, value)]),
      );
    fill(
      body,
      h('h4', {}, 'Tabs'),
      dl([['this tab', status.leader ? 'leader (hosts the engine)' : 'follower (forwards to the leader)', 'leader']]),
      h(
        'ul',
        { class: 'list', 'data-testid': 'devtools-tabs' },
        tabs.length === 0 ? h('li', { class: 'muted' }, 'no other tab of this client announced itself') : null,
        tabs.map((tab) =>
          h(
            'li',
            { 'data-testid': 'devtools-tab', 'data-leader': String(tab.leader) },
            `${tab.leader ? 'leader' : 'follower'} · ${shortId(tab.tabId)} · ${tab.href} · seen ${clock(tab.seenAt)}`,
          ),
        ),
      ),
      h('h4', {}, 'Sync'),
      dl([
        ['server', status.online ? 'reachable' : 'unreachable or paused', 'online'],
        ['syncing', status.syncing ? 'a push or pull is in flight' : 'idle', 'syncing'],
        ['pending', String(status.pending), 'pending'],
        ['reconnects', String(ctx.recorder.reconnects), 'reconnects'],
        [
          'app version',
          status.upgradeRequired ? 'the server requires an upgrade: pushing stopped' : 'accepted',
          'upgrade',
        ],
      ]),
      h('h4', {}, 'Last errors'),
      h(
        'ul',
        { class: 'list', 'data-testid': 'devtools-errors' },
        errors.length === 0 ? h('li', { class: 'muted' }, 'none') : null,
        errors
          .slice(0, 10)
          .map((e) =>
            h('li', { 'data-testid': 'devtools-error' }, `${clock(e.at)} `, h('code', {}, e.code), ` ${e.message}`),
          ),
      ),
      h('h4', {}, 'Storage'),
      dl([
        ['state', status.storage, 'storage'],
        ['persisted', status.persisted ? 'yes' : 'no (the browser may evict it)', 'persisted'],
        ['earlier data lost', status.storageLost ? 'yes: this client started over' : 'no', 'storage-lost'],
        [
          'usage',
          estimate === undefined
            ? 'reading…'
            : estimate === null
              ? 'not reported by this browser'
              : `${bytes(estimate.usage ?? 0)} of ${bytes(estimate.quota ?? 0)}`,
          'usage',
        ],
      ]),
    );
  }

  const stop = ctx.recorder.subscribe(render);
  render();
  void ctx.estimate().then(
    (value) => {
      estimate = value;
      render();
    },
    () => {
      estimate = null;
      render();
    },
  );
  return { el, render, dispose: () => stop() };
}
