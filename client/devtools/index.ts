/**
 * weft/client/devtools: a panel that shows what a weft client is doing (each command's life,
 * scopes, tabs and sync) and acts on it (offline/online, retry, dismiss, export a diagnostic
 * bundle). `mountDevtools` only starts recording; the panel's code loads when first opened, so
 * an app that never opens it ships a recorder of a few hundred bytes.
 */
import * as v from 'valibot';
import type { AnyApp } from '../../shared/index.ts';
import { InvalidInputError, type WeftClient } from '../index.ts';
import type { DiagnosticBundle } from './diagnostics.ts';
import type { Panel, PanelView } from './panel.ts';
import type { PanelContext } from './panel-context.ts';
import { Presence } from './presence.ts';
import { DevtoolsRecorder } from './recorder.ts';

export type { DiagnosticBundle } from './diagnostics.ts';
export type { PanelView } from './panel.ts';
export type { CommandEntry, CommandStage } from './recorder.ts';

export interface DevtoolsOptions {
  /** The weft server to read audit records and scope heads from (default: the page's origin); `null`: local state only. */
  readonly url?: string | null;
  /** The bearer token for those reads (the user's, or an admin's), or a function returning it. */
  readonly auth?: string | (() => string | Promise<string>);
  /**
   * The app definition (the one `createClient` got): lets the Scopes view show the rows a
   * selected event wrote, before and after, by replaying the scope's events up to it.
   */
  readonly app?: AnyApp;
  /** The scopes the app syncs, shown even before a command targets them. */
  readonly scopes?: ReadonlyArray<string>;
  /**
   * Whether the devtools run at all. Default: on for `localhost` / `127.0.0.1` and wherever
   * `localStorage['weft:devtools'] === 'on'`; in a production deployment pass `true` behind your
   * own switch (an admin flag): off, nothing is recorded and `open()` does nothing.
   */
  readonly enabled?: boolean;
  /** Adds a small "weft" button in the page's corner that toggles the panel (default `false`). */
  readonly launcher?: boolean;
  /** Where the panel's host element goes (default `document.body`). */
  readonly container?: HTMLElement;
  /** The name the tabs of this client share to find each other (default: the server URL). */
  readonly channel?: string;
}

export interface Devtools {
  readonly enabled: boolean;
  readonly isOpen: boolean;
  /** Loads the panel (once) and shows it, on `view` if given. */
  open(view?: PanelView): Promise<void>;
  close(): void;
  toggle(): Promise<void>;
  /** The diagnostic bundle the panel's export button saves (args only with `includeArgs`); `null` when disabled. */
  diagnostics(options?: { includeArgs?: boolean }): Promise<DiagnosticBundle | null>;
  /** Stops recording and removes the panel. */
  dispose(): void;
}

const OptionsSchema = v.object({
  url: v.optional(v.nullable(v.pipe(v.string('url must be the weft server base URL'), v.minLength(1)))),
  auth: v.optional(v.union([v.string(), v.function()], 'auth must be a token or a function returning one')),
  scopes: v.optional(v.array(v.string(), 'scopes must be an array of scope names')),
  enabled: v.optional(v.boolean('enabled must be a boolean')),
  launcher: v.optional(v.boolean('launcher must be a boolean')),
  channel: v.optional(v.string('channel must be a string')),
  app: v.optional(
    v.looseObject(
      { tables: v.record(v.string(), v.unknown()), events: v.record(v.string(), v.unknown()) },
      'app must be the app definition (defineApp)',
    ),
  ),
});

/**
 * Mounts the devtools on `client`: starts recording its commands and status now, and returns
 * the handle that opens the panel (its code loads on the first `open`).
 *
 * @example
 * import { mountDevtools } from 'weft/client/devtools';
 * const devtools = mountDevtools(weft, { auth: token, scopes: ['board:b1'], launcher: true });
 * button.onclick = () => devtools.toggle();
 */
export function mountDevtools(client: WeftClient, options: DevtoolsOptions = {}): Devtools {
  const checked = v.safeParse(OptionsSchema, options);
  if (!checked.success) throw new InvalidInputError(`weft: mountDevtools options: ${checked.issues[0].message}`);
  if (typeof client?.onCommand !== 'function') {
    throw new InvalidInputError('weft: mountDevtools needs a client made by createClient (weft/client)');
  }
  const enabled = options.enabled ?? enabledByDefault();
  if (!enabled) return disabled();
  const recorder = new DevtoolsRecorder(client);
  const url = options.url === undefined ? (typeof location === 'undefined' ? null : location.origin) : options.url;
  const presence = new Presence(client, options.channel ?? url ?? 'default');
  presence.onChange = () => recorder.notify();
  let host: HTMLElement | null = null;
  let panel: Panel | null = null;
  let loading: Promise<Panel> | null = null;
  let launcher: HTMLButtonElement | null = null;
  let disposed = false;
  let ctx: Promise<PanelContext> | null = null;

  const context = (): Promise<PanelContext> => {
    ctx ??= import('./lazy.ts').then((lazy) => ({
      client,
      recorder,
      server:
        url === null ? null : lazy.httpServer({ url, ...(options.auth === undefined ? {} : { auth: options.auth }) }),
      app: options.app ?? null,
      scopes: options.scopes ?? [],
      tabs: () => presence.tabs(),
      estimate: estimateStorage,
      now: Date.now,
    }));
    return ctx;
  };

  const load = (): Promise<Panel> => {
    loading ??= (async () => {
      const [{ renderPanel }, ctx] = await Promise.all([import('./lazy.ts'), context()]);
      host = document.createElement('weft-devtools');
      host.setAttribute('data-testid', 'devtools-host');
      (options.container ?? document.body).append(host);
      const root = host.attachShadow({ mode: 'open' });
      return renderPanel(root, ctx, { onClose: () => handle.close() });
    })();
    return loading;
  };

  const handle: Devtools = {
    enabled: true,
    get isOpen() {
      return panel !== null && host?.hidden === false;
    },
    async open(view) {
      if (disposed) return;
      presence.ping();
      const loaded = await load();
      if (disposed) {
        loaded.dispose(); // disposed while the panel's chunk loaded
        host?.remove();
        return;
      }
      panel = loaded;
      if (host) host.hidden = false;
      if (view) panel.select(view);
    },
    close() {
      if (host) host.hidden = true;
    },
    toggle() {
      if (handle.isOpen) {
        handle.close();
        return Promise.resolve();
      }
      return handle.open();
    },
    async diagnostics(opts) {
      const [{ diagnosticBundle }, ctx] = await Promise.all([import('./lazy.ts'), context()]);
      return diagnosticBundle(ctx, opts);
    },
    dispose() {
      disposed = true;
      recorder.dispose();
      presence.close();
      panel?.dispose();
      host?.remove();
      launcher?.remove();
    },
  };
  if (options.launcher && typeof document !== 'undefined') {
    launcher = document.createElement('button');
    launcher.textContent = 'weft';
    launcher.setAttribute('data-testid', 'devtools-launcher');
    launcher.setAttribute('aria-label', 'open the weft devtools');
    launcher.style.cssText =
      'position:fixed;right:8px;bottom:8px;z-index:2147483001;font:12px system-ui;padding:4px 8px;border-radius:12px;border:1px solid #1f2430;background:#1f2430;color:#fff;cursor:pointer';
    launcher.onclick = () => void handle.toggle();
    (options.container ?? document.body).append(launcher);
  }
  return handle;
}

function enabledByDefault(): boolean {
  if (typeof location === 'undefined') return false;
  if (['localhost', '127.0.0.1', '[::1]'].includes(location.hostname)) return true;
  try {
    return globalThis.localStorage?.getItem('weft:devtools') === 'on';
  } catch {
    return false; // storage blocked: stay off
  }
}

async function estimateStorage(): Promise<{ usage?: number; quota?: number } | null> {
  if (typeof navigator === 'undefined' || !navigator.storage?.estimate) return null;
  const { usage, quota } = await navigator.storage.estimate();
  return { ...(usage === undefined ? {} : { usage }), ...(quota === undefined ? {} : { quota }) };
}

function disabled(): Devtools {
  return {
    enabled: false,
    isOpen: false,
    open: async () => undefined,
    close: () => undefined,
    toggle: async () => undefined,
    diagnostics: async () => null,
    dispose: () => undefined,
  };
}
