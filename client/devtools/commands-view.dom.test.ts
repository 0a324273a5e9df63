import { afterEach, describe, expect, it } from 'vitest';
import { AuditIndex } from './audit-index.ts';
import { commandsView } from './commands-view.ts';
import type { View } from './panel-context.ts';
import { auditRecord, scriptedClient, scriptedContext, scriptedServer, settle } from './scripted-client.ts';

/** The commands view against a scripted engine and server (happy-dom). */
let view: View | null = null;
afterEach(() => {
  view?.dispose();
  view = null;
  document.body.replaceChildren();
});

function mount(ctx: ReturnType<typeof scriptedContext>) {
  view = commandsView(ctx, new AuditIndex(ctx.server));
  document.body.append(view.el);
  return view.el;
}

const rowOf = (el: HTMLElement, id: string) =>
  el.querySelector<HTMLElement>(`[data-testid="devtools-command"][data-id="${id}"]`);
const open = (el: HTMLElement, id: string) =>
  rowOf(el, id)?.querySelector<HTMLButtonElement>('[data-testid="devtools-command-toggle"]')?.click();

describe('the commands view', () => {
  it("shows a rejected command's timeline with times, the server's outcome and the winner's command as the intervening one", async () => {
    const client = scriptedClient();
    const server = scriptedServer();
    const ctx = scriptedContext(client, server, { scopes: ['board:b1'] });
    const el = mount(ctx);
    const t0 = client.clock;
    const id = client.run('moveCard', { boardId: 'b1', cardId: 'c2', toColumnId: 'doing' }, 'board:b1');
    client.clock += 4;
    client.step(id, 'durable');
    client.clock += 3000;
    client.setStatus({ syncing: true }); // the push that carries it begins
    client.clock += 40;
    client.reject(id, 'WIP_LIMIT', 'column "Doing" is full (2 cards)');
    server.records.push(
      auditRecord({
        id: 7,
        commandId: 'ann-move',
        name: 'moveCard',
        outcome: 'clean',
        userId: 'ann',
        seq: 5,
        eventSeqs: [5],
      }),
      auditRecord({
        id: 8,
        commandId: id,
        name: 'moveCard',
        outcome: 'rejected',
        userId: 'bob',
        code: 'WIP_LIMIT',
        message: 'column "Doing" is full (2 cards)',
        baseSeq: 4,
        headSeq: 5,
        intervenedCount: 1,
        intervened: [{ seq: 5, type: 'cardMoved', commandId: 'ann-move', clientId: 'ann-client' }],
      }),
    );
    await settle();

    expect(rowOf(el, id)?.dataset.state).toBe('rejected');
    open(el, id);
    const stages = [...(rowOf(el, id)?.querySelectorAll<HTMLElement>('[data-testid="devtools-timeline"] li') ?? [])];
    expect(stages.map((li) => li.dataset.stage)).toEqual(['executed', 'applied', 'durable', 'pushed', 'rejected']);
    const times = stages.map((li) => li.querySelector('.time')?.textContent ?? '');
    expect(times[0]).toContain('+0 ms');
    expect(times[2]).toContain('+4 ms');
    // Pushed: the server's audit record says when it got there (recordedAt, 5 s after executed).
    expect(stages[3]?.textContent).toContain('the server recorded it');
    expect(times[3]).toContain('+5.0 s');
    expect(times[4]).toContain('+3.0 s');
    expect(t0).toBeLessThan(client.clock);
    const audit = rowOf(el, id)?.querySelector<HTMLElement>('[data-testid="devtools-audit"]');
    expect(audit?.dataset.outcome).toBe('rejected');
    expect(audit?.textContent).toContain('WIP_LIMIT');
    const intervened = rowOf(el, id)?.querySelector<HTMLElement>('[data-testid="devtools-intervened"]');
    expect(intervened?.dataset.commandId).toBe('ann-move');
    expect(intervened?.dataset.commandName).toBe('moveCard');
    expect(intervened?.textContent).toContain('by ann');
  });

  it('shows a command the server rebased as rebased, and one still pending as waiting', async () => {
    const client = scriptedClient();
    const server = scriptedServer();
    const el = mount(scriptedContext(client, server));
    const rebased = client.run('renameCard', { cardId: 'c1', title: 'x' }, 'board:b1');
    client.step(rebased, 'durable');
    client.step(rebased, 'confirmed');
    const pending = client.run('addCard', { cardId: 'c9' }, 'board:b1');
    server.records.push(
      auditRecord({
        commandId: rebased,
        name: 'renameCard',
        outcome: 'rebased',
        intervenedCount: 1,
        intervened: [{ seq: 3, type: 'x', commandId: 'other', clientId: 'c' }],
      }),
    );
    await settle();
    expect(rowOf(el, rebased)?.dataset.state).toBe('rebased');
    open(el, rebased);
    expect(rowOf(el, rebased)?.querySelector('[data-stage="rebased"]')).not.toBeNull();
    // The intervening command has no record here: it is still named by its id.
    expect(rowOf(el, rebased)?.querySelector('[data-testid="devtools-intervened"]')?.textContent).toContain(
      'a command',
    );
    expect(rowOf(el, pending)?.dataset.state).toBe('pending');
    open(el, pending);
    expect(rowOf(el, pending)?.querySelector('[data-stage="waiting"]')).not.toBeNull();
    expect(rowOf(el, pending)?.querySelector('[data-stage="durable"]')?.className).toBe('muted');
  });

  it('filters by state, command name and scope', async () => {
    const client = scriptedClient();
    const el = mount(scriptedContext(client, null));
    const a = client.run('addCard', {}, 'board:b1');
    const b = client.run('moveCard', {}, 'board:b2');
    const c = client.run('moveCard', {}, 'board:b1');
    client.step(c, 'confirmed');
    await settle();
    const shown = () =>
      [...el.querySelectorAll<HTMLElement>('[data-testid="devtools-command"]')].map((r) => r.dataset.id);
    expect(shown()).toEqual([c, b, a]); // newest first

    const state = el.querySelector<HTMLSelectElement>('[data-testid="devtools-filter-state"]');
    if (!state) throw new Error('no state filter');
    state.value = 'pending';
    state.dispatchEvent(new Event('change'));
    expect(shown()).toEqual([b, a]);

    const name = el.querySelector<HTMLInputElement>('[data-testid="devtools-filter-name"]');
    if (!name) throw new Error('no name filter');
    name.value = 'move';
    name.dispatchEvent(new Event('input'));
    expect(shown()).toEqual([b]);

    state.value = 'all';
    state.dispatchEvent(new Event('change'));
    const scope = el.querySelector<HTMLSelectElement>('[data-testid="devtools-filter-scope"]');
    if (!scope) throw new Error('no scope filter');
    scope.value = 'board:b1';
    scope.dispatchEvent(new Event('change'));
    expect(shown()).toEqual([c]);
  });

  it('says when the user may not read the audit, and still shows the local timeline', async () => {
    const client = scriptedClient();
    const server = scriptedServer();
    server.forbid = true;
    const el = mount(scriptedContext(client, server));
    const id = client.run('moveCard', {}, 'board:b1');
    client.step(id, 'durable');
    client.clock += 2000;
    client.setStatus({ syncing: true });
    client.reject(id, 'WIP_LIMIT', 'full');
    await settle();
    expect(el.querySelector('[data-testid="devtools-audit-state"]')?.textContent).toContain('not readable');
    open(el, id);
    expect(rowOf(el, id)?.querySelector('[data-stage="rejected"]')).not.toBeNull();
    expect(rowOf(el, id)?.querySelector<HTMLElement>('[data-testid="devtools-audit"]')?.dataset.outcome).toBe('none');
    // Without the audit, pushed is what the page saw: the status reporting a push under way.
    const pushed = rowOf(el, id)?.querySelector('[data-stage="pushed"]');
    expect(pushed?.textContent).toContain('a push began');
    expect(pushed?.querySelector('.time')?.textContent).toContain('+2.0 s');
  });

  it('lists rejections from the inbox and dismisses one through the client', async () => {
    const client = scriptedClient();
    client.inbox({
      status: 'rejected',
      id: 'old-1',
      seq: 3,
      name: 'addCard',
      args: {},
      scope: 'board:b1',
      code: 'WIP_LIMIT',
      message: 'full',
      settledAt: client.clock - 60_000,
    });
    const el = mount(scriptedContext(client, null));
    await settle();
    expect(rowOf(el, 'old-1')?.dataset.state).toBe('rejected');
    open(el, 'old-1');
    expect(rowOf(el, 'old-1')?.textContent).toContain('from the rejection inbox');
    rowOf(el, 'old-1')?.querySelector<HTMLButtonElement>('[data-testid="devtools-dismiss"]')?.click();
    await settle();
    expect(client.dismissed).toEqual(['old-1']);
    expect(rowOf(el, 'old-1')?.querySelector('[data-testid="devtools-dismiss"]')).toBeNull();
    expect(rowOf(el, 'old-1')?.textContent).toContain('dismissed');
  });
});
