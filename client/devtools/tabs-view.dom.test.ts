import { afterEach, describe, expect, it } from 'vitest';
import type { View } from './panel-context.ts';
import { scriptedClient, scriptedContext, settle } from './scripted-client.ts';
import { tabsView } from './tabs-view.ts';

let view: View | null = null;
afterEach(() => {
  view?.dispose();
  view = null;
  document.body.replaceChildren();
});

describe('the tabs and sync view', () => {
  it('shows the leader, the other tabs, reconnects, the last errors and storage usage', async () => {
    const client = scriptedClient();
    const ctx = scriptedContext(client, null, {
      tabs: [{ tabId: 'tab-two-0000', leader: false, href: 'http://x/?board=b1', seenAt: client.clock }],
      estimate: { usage: 2048, quota: 1024 * 1024 },
    });
    view = tabsView(ctx);
    document.body.append(view.el);
    const text = (id: string) => view?.el.querySelector(`[data-testid="devtools-${id}"]`)?.textContent;
    client.setStatus({ online: false, lastError: { code: 'network', message: 'fetch failed', at: client.clock } });
    client.setStatus({ online: true });
    client.setStatus({
      online: false,
      lastError: { code: 'internal', message: '500 from the server', at: client.clock + 1 },
    });
    client.setStatus({ online: true, pending: 3, syncing: true });
    await settle();
    expect(text('leader')).toContain('leader');
    expect(view.el.querySelector('[data-testid="devtools-tab"]')?.getAttribute('data-leader')).toBe('false');
    expect(text('reconnects')).toBe('2');
    expect(text('pending')).toBe('3');
    expect(text('syncing')).toContain('in flight');
    const errors = [...view.el.querySelectorAll('[data-testid="devtools-error"]')].map((e) => e.textContent);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('500 from the server'); // newest first
    expect(text('persisted')).toBe('yes');
    expect(text('usage')).toBe('2.0 kB of 1.0 MB');

    client.setStatus({ leader: false, storage: 'full', persisted: false });
    await settle();
    expect(text('leader')).toContain('follower');
    expect(text('storage')).toBe('full');
    expect(text('persisted')).toContain('no');
  });

  it('says when the browser reports no storage estimate', async () => {
    view = tabsView(scriptedContext(scriptedClient(), null, { estimate: null }));
    await settle();
    expect(view.el.querySelector('[data-testid="devtools-usage"]')?.textContent).toBe('not reported by this browser');
  });
});
