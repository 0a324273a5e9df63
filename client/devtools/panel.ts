import { AuditIndex } from './audit-index.ts';
import { commandsView } from './commands-view.ts';
import { type DiagnosticBundle, diagnosticBundle } from './diagnostics.ts';
import { h } from './dom.ts';
import type { PanelContext, View } from './panel-context.ts';
import { scopesView } from './scopes-view.ts';
import { STYLES } from './styles.ts';
import { tabsView } from './tabs-view.ts';

/**
 * The panel itself, loaded by `mountDevtools` only when it is first opened: three views
 * (commands, scopes, tabs and sync) and the actions (go offline/online, retry now, export a
 * diagnostic bundle). It renders into `root`, a shadow root, so the app's styles never mix in.
 */
export interface Panel {
  select(view: PanelView): void;
  /** The bundle the export button saves. */
  diagnostics(options?: { includeArgs?: boolean }): Promise<DiagnosticBundle>;
  dispose(): void;
}

export type PanelView = 'commands' | 'scopes' | 'tabs';

export interface PanelHooks {
  readonly onClose: () => void;
  /** Where an exported bundle goes (default: a download of `weft-diagnostics-<time>.json`). */
  readonly onExport?: (bundle: DiagnosticBundle) => void;
}

export function renderPanel(root: ShadowRoot | HTMLElement, ctx: PanelContext, hooks: PanelHooks): Panel {
  const audit = new AuditIndex(ctx.server);
  const makers: Record<PanelView, () => View> = {
    commands: () => commandsView(ctx, audit),
    scopes: () => scopesView(ctx, audit),
    tabs: () => tabsView(ctx),
  };
  let current: View | null = null;
  let chosen: PanelView = 'commands';
  const main = h('main', {});
  const tabButton = (view: PanelView, label: string) =>
    h('button', { 'data-testid': `devtools-show-${view}`, role: 'tab', onclick: () => select(view) }, label);
  const tabButtons = {
    commands: tabButton('commands', 'Commands'),
    scopes: tabButton('scopes', 'Scopes'),
    tabs: tabButton('tabs', 'Tabs & sync'),
  };
  const includeArgs = h('input', { type: 'checkbox', 'data-testid': 'devtools-include-args' });
  const act = (call: () => Promise<void>) => () => void call().catch(() => undefined);
  const panel = h(
    'div',
    { class: 'panel', role: 'dialog', 'aria-label': 'weft devtools', 'data-testid': 'devtools-panel' },
    h(
      'header',
      {},
      h('span', { class: 'title' }, 'weft devtools'),
      tabButtons.commands,
      tabButtons.scopes,
      tabButtons.tabs,
      h('span', { class: 'spacer' }),
      h(
        'button',
        { 'data-testid': 'devtools-go-offline', onclick: act(() => ctx.client.setOnline(false)) },
        'go offline',
      ),
      h('button', { 'data-testid': 'devtools-go-online', onclick: act(() => ctx.client.setOnline(true)) }, 'go online'),
      h(
        'button',
        {
          'data-testid': 'devtools-retry',
          title: 'sync now, skipping the backoff',
          onclick: act(() => ctx.client.setOnline(true)),
        },
        'retry now',
      ),
      h('label', {}, includeArgs, ' args'),
      h(
        'button',
        {
          'data-testid': 'devtools-export',
          title: 'status, outbox metadata and recent errors as JSON (args only when ticked)',
          onclick: act(async () =>
            (hooks.onExport ?? download)(await diagnosticBundle(ctx, { includeArgs: includeArgs.checked })),
          ),
        },
        'export',
      ),
      h('button', { 'data-testid': 'devtools-close', 'aria-label': 'close', onclick: () => hooks.onClose() }, '×'),
    ),
    main,
  );
  const style = document.createElement('style');
  style.textContent = STYLES;
  root.append(style, panel);

  function select(view: PanelView): void {
    current?.dispose();
    chosen = view;
    current = makers[view]();
    main.replaceChildren(current.el);
    for (const [name, button] of Object.entries(tabButtons))
      button.setAttribute('aria-selected', String(name === chosen));
  }
  select('commands');

  return {
    select,
    diagnostics: (options) => diagnosticBundle(ctx, options),
    dispose() {
      current?.dispose();
      style.remove();
      panel.remove();
    },
  };
}

function download(bundle: DiagnosticBundle): void {
  const blob = new Blob([JSON.stringify(bundle, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: `weft-diagnostics-${bundle.generatedAt}.json` });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
