import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { InvalidInputError } from '../index.ts';
import type { DiagnosticBundle } from './diagnostics.ts';
import { mountDevtools } from './index.ts';
import { type Panel, renderPanel } from './panel.ts';
import { scriptedClient, scriptedContext, settle } from './scripted-client.ts';

let panel: Panel | null = null;
afterEach(() => {
  panel?.dispose();
  panel = null;
  document.body.replaceChildren();
  localStorage.clear();
});

const click = (root: ParentNode, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`)?.click();

describe('the devtools panel', () => {
  it('goes offline, online and retries through the client', async () => {
    const client = scriptedClient();
    const root = document.createElement('div');
    panel = renderPanel(root, scriptedContext(client, null), { onClose: () => undefined });
    click(root, 'devtools-go-offline');
    click(root, 'devtools-go-online');
    click(root, 'devtools-retry');
    await settle();
    expect(client.onlineCalls).toEqual([false, true, true]);
  });

  it('exports a diagnostic bundle without args unless asked', async () => {
    const client = scriptedClient();
    const ctx = scriptedContext(client, null);
    const id = client.run('addCard', { title: 'secret plans' }, 'board:b1');
    client.reject(id, 'WIP_LIMIT', 'full');
    client.setStatus({ lastError: { code: 'network', message: 'offline', at: client.clock } });
    const bundles: DiagnosticBundle[] = [];
    const root = document.createElement('div');
    panel = renderPanel(root, ctx, { onClose: () => undefined, onExport: (bundle) => bundles.push(bundle) });
    await settle();
    click(root, 'devtools-export');
    await settle();
    const [plain] = bundles;
    expect(plain?.kind).toBe('weft-diagnostics');
    expect(plain?.commands).toEqual([
      {
        id,
        name: 'addCard',
        scope: 'board:b1',
        state: 'rejected',
        times: expect.any(Object),
        code: 'WIP_LIMIT',
        message: 'full',
      },
    ]);
    expect(JSON.stringify(plain)).not.toContain('secret plans');
    expect(plain?.errors.map((e) => e.code)).toEqual(['network']);
    expect(plain?.status.leader).toBe(true);

    const args = root.querySelector<HTMLInputElement>('[data-testid="devtools-include-args"]');
    if (args) args.checked = true;
    click(root, 'devtools-export');
    await settle();
    expect(bundles[1]?.commands[0]?.args).toEqual({ title: 'secret plans' });
  });

  it('switches between its views', () => {
    const root = document.createElement('div');
    panel = renderPanel(root, scriptedContext(scriptedClient(), null), { onClose: () => undefined });
    expect(root.querySelector('[data-testid="devtools-view-commands"]')).not.toBeNull();
    click(root, 'devtools-show-tabs');
    expect(root.querySelector('[data-testid="devtools-view-tabs"]')).not.toBeNull();
    expect(root.querySelector('[data-testid="devtools-view-commands"]')).toBeNull();
    click(root, 'devtools-show-scopes');
    expect(root.querySelector('[data-testid="devtools-view-scopes"]')).not.toBeNull();
    expect(root.querySelector('[data-testid="devtools-show-scopes"]')?.getAttribute('aria-selected')).toBe('true');
  });
});

describe('mountDevtools', () => {
  it('adds nothing to the page until opened, records meanwhile, and shows what it recorded', async () => {
    const client = scriptedClient();
    const devtools = mountDevtools(client, { enabled: true, url: null });
    const id = client.run('addCard', {}, 'board:b1');
    await settle();
    expect(document.querySelector('weft-devtools')).toBeNull();
    await devtools.open();
    const host = document.querySelector<HTMLElement>('weft-devtools');
    const root = host?.shadowRoot;
    if (!root) throw new Error('no panel');
    expect(root.querySelector(`[data-testid="devtools-command"][data-id="${id}"]`)?.getAttribute('data-state')).toBe(
      'pending',
    );
    expect(devtools.isOpen).toBe(true);
    click(root, 'devtools-close');
    expect(devtools.isOpen).toBe(false);
    expect(host.hidden).toBe(true);
    await devtools.toggle();
    expect(devtools.isOpen).toBe(true);
    devtools.dispose();
    expect(document.querySelector('weft-devtools')).toBeNull();
  });

  it('is off by default away from localhost, and on with the localStorage switch', async () => {
    const page = (globalThis as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM;
    const before = location.href;
    page.setURL('https://app.example.com/board');
    onTestFinished(() => page.setURL(before));
    expect(location.hostname).toBe('app.example.com');
    const off = mountDevtools(scriptedClient(), { url: null });
    expect(off.enabled).toBe(false);
    await off.open();
    expect(document.querySelector('weft-devtools')).toBeNull();
    expect(await off.diagnostics()).toBeNull();
    localStorage.setItem('weft:devtools', 'on');
    const on = mountDevtools(scriptedClient(), { url: null });
    expect(on.enabled).toBe(true);
    on.dispose();
    page.setURL('http://localhost:3000/');
    const local = mountDevtools(scriptedClient(), { url: null });
    expect(local.enabled).toBe(true);
    local.dispose();
  });

  it('adds a launcher button that toggles the panel', async () => {
    const devtools = mountDevtools(scriptedClient(), { enabled: true, url: null, launcher: true });
    document.querySelector<HTMLElement>('[data-testid="devtools-launcher"]')?.click();
    await expect.poll(() => devtools.isOpen).toBe(true);
    devtools.dispose();
    expect(document.querySelector('[data-testid="devtools-launcher"]')).toBeNull();
  });

  it('refuses bad options and a client that is not a weft client', () => {
    const client = scriptedClient();
    expect(() => mountDevtools(client, { enabled: 'yes' } as never)).toThrow(InvalidInputError);
    expect(() => mountDevtools(client, { scopes: 'board:b1' } as never)).toThrow(/scopes must be an array/u);
    expect(() => mountDevtools({} as never, { enabled: true })).toThrow(/createClient/u);
  });
});
