import { afterEach, describe, expect, it } from 'vitest';
import { todo } from '../testing/todo-app.ts';
import { AuditIndex } from './audit-index.ts';
import type { View } from './panel-context.ts';
import { scopesView } from './scopes-view.ts';
import { auditRecord, scriptedClient, scriptedContext, scriptedServer, settle } from './scripted-client.ts';

let view: View | null = null;
afterEach(() => {
  view?.dispose();
  view = null;
  document.body.replaceChildren();
});

const event = (seq: number, type: string, commandId: string, data: unknown = {}) => ({
  seq,
  scope: 'board:b1',
  type,
  data,
  commandId,
  clientId: 'client-x',
  at: Date.UTC(2026, 11, 3, 9, 0, seq),
});

describe('the scopes view', () => {
  it("shows each scope's server head, pending commands here and stale or quarantined state", async () => {
    const client = scriptedClient();
    const server = scriptedServer();
    server.scopeEvents.set('board:b1', [event(1, 'boardCreated', 'x1'), event(2, 'cardAdded', 'x2')]);
    const ctx = scriptedContext(client, server, { scopes: ['board:b1', 'board:b2', 'board:b3'] });
    client.run('addCard', {}, 'board:b1');
    client.run('addCard', {}, 'board:b1');
    const done = client.run('addCard', {}, 'board:b2');
    client.step(done, 'confirmed');
    client.setStatus({
      stale: ['board:b2'],
      quarantined: [{ kind: 'quarantined', scope: 'board:b3', seq: 9, type: 'cardMoved', message: 'boom' }],
    });
    view = scopesView(ctx, new AuditIndex(server));
    document.body.append(view.el);
    await settle();
    const row = (scope: string) =>
      view?.el.querySelector<HTMLElement>(`[data-testid="devtools-scope"][data-scope="${scope}"]`);
    const cell = (scope: string, id: string) =>
      row(scope)?.querySelector(`[data-testid="devtools-scope-${id}"]`)?.textContent;
    expect(cell('board:b1', 'head')).toBe('2');
    expect(cell('board:b1', 'pending')).toBe('2');
    expect(cell('board:b1', 'state')).toBe('ok');
    expect(cell('board:b2', 'pending')).toBe('0');
    expect(cell('board:b2', 'state')).toContain('stale');
    expect(cell('board:b3', 'state')).toContain('quarantined at seq 9 (cardMoved: boom)');
  });

  it("lists a scope's events newest first with the command that caused each, and shows a selected event's data", async () => {
    const client = scriptedClient();
    const server = scriptedServer();
    const ctx = scriptedContext(client, server, { scopes: ['board:b1'] });
    const mine = client.run('moveCard', {}, 'board:b1');
    server.scopeEvents.set('board:b1', [
      event(1, 'boardCreated', 'x1'),
      event(2, 'cardAdded', 'ann-add', { cardId: 'c1' }),
      event(3, 'cardMoved', mine, { cardId: 'c1', toColumnId: 'doing' }),
    ]);
    const audit = new AuditIndex(server);
    server.records.push(auditRecord({ commandId: 'ann-add', name: 'addCard', outcome: 'clean', userId: 'ann' }));
    await audit.refresh(['board:b1']);
    view = scopesView(ctx, audit);
    document.body.append(view.el);
    await settle();
    const events = [...view.el.querySelectorAll<HTMLElement>('[data-testid="devtools-event"]')];
    expect(events.map((e) => e.dataset.seq)).toEqual(['3', '2', '1']);
    expect(events[0]?.textContent).toContain('moveCard');
    expect(events[0]?.textContent).toContain('this device');
    expect(events[1]?.textContent).toContain('addCard');
    expect(events[1]?.textContent).toContain('by ann');
    events[0]?.querySelector('button')?.click();
    const data = view.el.querySelector('[data-testid="devtools-event-data"]')?.textContent ?? '';
    expect(JSON.parse(data)).toEqual({ cardId: 'c1', toColumnId: 'doing' });
  });

  it('says so when no server is given, and still shows local state', async () => {
    const client = scriptedClient();
    const ctx = scriptedContext(client, null);
    client.run('addCard', {}, 'board:b1');
    view = scopesView(ctx, new AuditIndex(null));
    document.body.append(view.el);
    await settle();
    expect(view.el.textContent).toContain('no server given');
    expect(view.el.querySelector('[data-testid="devtools-scope-pending"]')?.textContent).toBe('1');
    expect(view.el.querySelector('[data-testid="devtools-scope-head"]')?.textContent).toBe('—');
  });
});

describe('the rows an event wrote', () => {
  const todoEvent = (seq: number, type: string, data: unknown) => ({
    ...event(seq, type, `cmd-${seq}`, data),
    scope: 'list:a',
  });

  it('replays the scope with the app and shows each row before and after the selected event', async () => {
    const client = scriptedClient();
    const server = scriptedServer();
    server.scopeEvents.set('list:a', [
      todoEvent(1, 'added', { listId: 'a', itemId: 'i1', text: 'milk' }),
      todoEvent(2, 'added', { listId: 'a', itemId: 'i2', text: 'eggs' }),
      todoEvent(3, 'renamed', { itemId: 'i1', text: 'oat milk' }),
      todoEvent(4, 'removed', { itemId: 'i2' }),
    ]);
    view = scopesView(scriptedContext(client, server, { scopes: ['list:a'], app: todo }), new AuditIndex(server));
    document.body.append(view.el);
    await settle();
    const select = (seq: number) =>
      view?.el.querySelector<HTMLElement>(`[data-testid="devtools-event"][data-seq="${seq}"] button`)?.click();
    const writes = () =>
      [...(view?.el.querySelectorAll<HTMLElement>('[data-testid="devtools-row-write"]') ?? [])].map((row) => ({
        key: row.dataset.key,
        before: row.querySelector('[data-testid="devtools-row-before"]')?.textContent ?? '',
        after: row.querySelector('[data-testid="devtools-row-after"]')?.textContent ?? '',
      }));

    select(3);
    await settle();
    expect(writes()).toHaveLength(1);
    expect(writes()[0]?.key).toBe('i1');
    expect(JSON.parse(writes()[0]?.before ?? '')).toMatchObject({ itemId: 'i1', text: 'milk' });
    expect(JSON.parse(writes()[0]?.after ?? '')).toMatchObject({ itemId: 'i1', text: 'oat milk' });

    select(4);
    await settle();
    expect(writes()).toEqual([{ key: 'i2', before: expect.stringContaining('eggs'), after: '(deleted)' }]);

    select(1);
    await settle();
    expect(writes()[0]).toMatchObject({ key: 'i1', before: '(none)' });
  });

  it('asks for the app when it was not given', async () => {
    const server = scriptedServer();
    server.scopeEvents.set('list:a', [todoEvent(1, 'added', { listId: 'a', itemId: 'i1', text: 'milk' })]);
    view = scopesView(scriptedContext(scriptedClient(), server, { scopes: ['list:a'] }), new AuditIndex(server));
    await settle();
    view.el.querySelector<HTMLElement>('[data-testid="devtools-event"] button')?.click();
    expect(view.el.textContent).toContain('pass `app` to mountDevtools');
  });
});
