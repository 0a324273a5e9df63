import { afterEach, describe, expect, it } from 'vitest';
import { App } from './App.tsx';
import { fakeClient } from './fake-client.ts';
import { type Rendered, render, update } from './render.ts';

let page: Rendered | null = null;
afterEach(async () => {
  await page?.unmount();
  page = null;
});

describe('the status bar: storage states (G16)', () => {
  it('shows nothing while storage is fine, then storage full, not persisted and lost local data', async () => {
    const client = fakeClient();
    page = await render(
      <App client={client} boardId="b1" userName="ann" onUserNameChange={() => {}} fetchAudit={async () => []} />,
    );
    expect(page.container.querySelector('[data-testid="status-storage"]')).toBeNull();
    const storage = () => page?.byTestId('status-storage');
    await update(() =>
      client.setStatus({
        storage: 'full',
        lastError: { code: 'storage_full', message: 'The quota has been exceeded.', at: 0 },
      }),
    );
    expect(storage()?.dataset.storage).toBe('full');
    expect(storage()?.textContent).toBe('storage full: new changes are refused');
    expect(page.byTestId('status-error').textContent).toBe('storage_full: The quota has been exceeded.');
    await update(() => client.setStatus({ storage: 'memory', lastError: null }));
    expect(storage()?.textContent).toMatch(/^not persisted/);
    await update(() => client.setStatus({ storage: 'ok', storageLost: true }));
    expect(storage()?.textContent).toMatch(/unsynced changes on this device may be gone/);
    await update(() => client.setStatus({ storageLost: false }));
    expect(page.container.querySelector('[data-testid="status-storage"]')).toBeNull();
  });
});
