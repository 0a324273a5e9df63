import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuditRecord } from '../../shared/index.ts';
import { App } from './App.tsx';
import { type FakeClient, fakeClient } from './fake-client.ts';
import { fire, type Rendered, render, settle, typeInto, update } from './render.ts';

const boardId = 'b1';
let page: Rendered | null = null;
afterEach(async () => {
  await page?.unmount();
  page = null;
});

async function open(client: FakeClient, props: Partial<Parameters<typeof App>[0]> = {}) {
  page = await render(
    <App
      client={client}
      boardId={boardId}
      userName="ann"
      onUserNameChange={() => {}}
      fetchAudit={async () => []}
      {...props}
    />,
  );
  return page;
}

const record = (patch: Partial<AuditRecord>): AuditRecord => ({
  id: 1,
  recordedAt: 0,
  scope: `board:${boardId}`,
  commandId: 'cmd-a',
  clientId: 'client-a',
  userId: 'ann',
  name: 'moveCard',
  args: { boardId, cardId: 'c1', toColumnId: 'doing' },
  seq: 1,
  baseSeq: 4,
  headSeq: 4,
  outcome: 'clean',
  code: null,
  message: null,
  eventSeqs: [5],
  intervenedCount: 0,
  intervened: [],
  ...patch,
});

describe('the status bar', () => {
  it('shows online, pending, sync state and the last error', async () => {
    const client = fakeClient();
    const page = await open(client);
    expect(page.byTestId('status-online').dataset.online).toBe('true');
    expect(page.byTestId('status-sync').textContent).toBe('in sync');
    await update(() =>
      client.setStatus({
        online: false,
        pending: 3,
        lastError: { code: 'network', message: 'fetch failed', at: 0 },
      }),
    );
    expect(page.byTestId('status-online').textContent).toBe('offline');
    expect(page.byTestId('status-pending').textContent).toBe('3');
    expect(page.byTestId('status-sync').textContent).toBe('reconnecting');
    expect(page.byTestId('status-error').textContent).toBe('network: fetch failed');
    await update(() => client.setStatus({ online: true, syncing: true }));
    expect(page.byTestId('status-sync').textContent).toBe('syncing');
  });

  it('switches the client off the network and back, remembering the position', async () => {
    const client = fakeClient();
    const page = await open(client, { onlineStorage: { key: 'k', storage: localStorage } });
    const toggle = page.byTestId<HTMLInputElement>('online-switch');
    expect(toggle.checked).toBe(true);
    await fire(toggle, 'click');
    expect(client.onlineCalls).toEqual([false]);
    expect(toggle.checked).toBe(false);
    expect(localStorage.getItem('k')).toBe('false');
    expect(page.byTestId('status-sync').textContent).toBe('paused');
    await fire(toggle, 'click');
    expect(client.onlineCalls).toEqual([false, true]);
    localStorage.removeItem('k');
  });
});

describe('the rejection toasts', () => {
  it('tell why the server rejected a command, and dismiss it from the inbox when closed', async () => {
    const client = fakeClient();
    const page = await open(client);
    await update(() =>
      client.reject({
        status: 'rejected',
        id: 'cmd-9',
        seq: 9,
        name: 'moveCard',
        args: {},
        scope: `board:${boardId}`,
        code: 'WIP_LIMIT',
        message: 'column "Doing" is full (2 cards)',
        settledAt: 0,
      }),
    );
    const [toast] = page.all('toast');
    expect(toast?.textContent).toContain('The server rejected moveCard');
    expect(page.byTestId('toast-code').textContent).toBe('WIP_LIMIT');
    expect(page.byTestId('toast-message').textContent).toBe('column "Doing" is full (2 cards)');
    await fire(page.byTestId('toast-close'), 'click');
    expect(page.all('toast')).toHaveLength(0);
    expect(client.dismissed).toEqual(['cmd-9']);
  });

  it('stay quiet about a board that another browser created first', async () => {
    const client = fakeClient();
    const page = await open(client);
    const race = { status: 'rejected', seq: 1, args: {}, scope: 'board:b1', message: 'exists', settledAt: 0 } as const;
    await update(() => client.reject({ ...race, id: 'x1', name: 'createBoard', code: 'ALREADY_EXISTS' }));
    await update(() => client.reject({ ...race, id: 'x2', name: 'addColumn', code: 'ALREADY_EXISTS' }));
    expect(page.all('toast')).toHaveLength(0);
    expect(client.dismissed).toEqual(['x1', 'x2']);
  });
});

describe('the audit panel', () => {
  it('lists the latest records first, with outcome, user, command and what intervened', async () => {
    const client = fakeClient();
    const records = [
      record({ id: 1, commandId: 'cmd-a', userId: 'ann' }),
      record({
        id: 2,
        commandId: 'cmd-b',
        userId: 'bob',
        args: { boardId, cardId: 'c2', toColumnId: 'doing' },
        outcome: 'rejected',
        code: 'WIP_LIMIT',
        message: 'column "Doing" is full (2 cards)',
        eventSeqs: [],
        intervenedCount: 1,
        intervened: [{ seq: 5, type: 'cardMoved', commandId: 'cmd-a', clientId: 'client-a' }],
      }),
    ];
    const fetchAudit = vi.fn(async () => records);
    const page = await open(client, { fetchAudit });
    await settle();
    expect(fetchAudit).toHaveBeenCalledWith(boardId);
    const shown = page.all('audit-record');
    expect(shown.map((li) => li.dataset.outcome)).toEqual(['rejected', 'clean']);
    expect(shown[0]?.textContent).toContain('bob');
    expect(shown[0]?.textContent).toContain('moveCard(cardId: c2, toColumnId: doing)');
    expect(shown[0]?.textContent).toContain('WIP_LIMIT: column "Doing" is full (2 cards)');
    expect(page.byTestId('audit-intervened').textContent).toBe('after 1 intervening event: cardMoved #5 by ann');
  });

  it('says whose change a command overwrote: "overwrote ann\'s rename"', async () => {
    const client = fakeClient();
    const lost = { seq: 5, type: 'cardRenamed', commandId: 'cmd-a', clientId: 'client-a' };
    const records = [
      record({ id: 1, commandId: 'cmd-a', userId: 'ann', name: 'renameCard' }),
      record({
        id: 2,
        commandId: 'cmd-b',
        userId: 'bob',
        name: 'renameCard',
        outcome: 'rebased',
        intervenedCount: 1,
        intervened: [{ ...lost, overwrote: [{ table: 'cards', key: 'c1', field: 'title' }] }],
        overwrote: [{ ...lost, table: 'cards', key: 'c1', field: 'title' }],
      }),
    ];
    const page = await open(client, { fetchAudit: async () => records });
    await settle();
    expect(page.all('audit-overwrote').map((el) => el.textContent)).toEqual(["overwrote ann's rename"]);
  });

  it('refreshes when a sync ends and shows a failure', async () => {
    const client = fakeClient();
    let fail = false;
    const fetchAudit = vi.fn(async () => {
      if (fail) throw new Error('503: unavailable');
      return [record({})];
    });
    const page = await open(client, { fetchAudit });
    await settle();
    const before = fetchAudit.mock.calls.length;
    fail = true;
    await update(() => client.setStatus({ syncing: true, pending: 1 }));
    await update(() => client.setStatus({ syncing: false, pending: 0 }));
    await settle();
    expect(fetchAudit.mock.calls.length).toBeGreaterThan(before);
    expect(page.byTestId('audit-error').textContent).toBe('503: unavailable');
    expect(page.all('audit-record')).toHaveLength(1);
  });
});

describe('the user name', () => {
  it('switches to a valid new name only', async () => {
    const onUserNameChange = vi.fn();
    const page = await open(fakeClient(), { onUserNameChange });
    const input = page.byTestId<HTMLInputElement>('user-name');
    expect(input.value).toBe('ann');
    await typeInto(input, 'not valid!');
    expect(page.byTestId<HTMLButtonElement>('user-save').disabled).toBe(true);
    await typeInto(input, 'bob');
    await fire(input.form as HTMLFormElement, 'submit');
    expect(onUserNameChange).toHaveBeenCalledWith('bob');
  });
});

describe('the devtools button', () => {
  it('opens the devtools when the page wires them, and is absent otherwise', async () => {
    const onOpenDevtools = vi.fn();
    const page = await open(fakeClient(), { onOpenDevtools });
    await fire(page.byTestId('open-devtools'), 'click');
    expect(onOpenDevtools).toHaveBeenCalledTimes(1);
    await page.unmount();
    const without = await open(fakeClient());
    expect(without.container.querySelector('[data-testid="open-devtools"]')).toBeNull();
  });
});
