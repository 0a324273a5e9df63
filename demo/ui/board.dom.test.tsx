import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Row } from '../../shared/index.ts';
import { App } from './App.tsx';
import { type FakeClient, fakeClient } from './fake-client.ts';
import { choose, fire, type Rendered, render, settle, typeInto, update } from './render.ts';

const boardId = 'b1';
const columns: Row[] = [
  { boardId, columnId: 'todo', title: 'To do', wipLimit: null, rank: 'a0' },
  { boardId, columnId: 'doing', title: 'Doing', wipLimit: 2, rank: 'a1' },
];
const card = (cardId: string, columnId: string, rank: string): Row => ({
  boardId,
  cardId,
  columnId,
  title: `Card ${cardId}`,
  rank,
});

let client: FakeClient;
let page: Rendered;

beforeEach(async () => {
  client = fakeClient();
  client.setRows('boards', [{ boardId, title: 'Board one', createdAt: 0 }]);
  client.setRows('columns', columns);
  client.setRows('cards', [card('c1', 'todo', 'a0'), card('c2', 'todo', 'a1'), card('c3', 'todo', 'a2')]);
  page = await render(
    <App client={client} boardId={boardId} userName="ann" onUserNameChange={() => {}} fetchAudit={async () => []} />,
  );
});
afterEach(() => page.unmount());

describe('the board', () => {
  it('shows the columns in order with their WIP count and limit', () => {
    expect(page.byTestId('board-title').textContent).toBe('Board one');
    const titles = [...page.container.querySelectorAll('.column h2')].map((h) => h.textContent);
    expect(titles).toEqual(['To do', 'Doing']);
    expect(page.byTestId('column-count-todo').textContent).toBe('3');
    expect(page.byTestId('column-count-doing').textContent).toBe('0/2');
    expect(page.byTestId('column-doing').dataset.full).toBe('false');
    const order = [...page.byTestId('column-todo').querySelectorAll('.card')].map((li) =>
      li.getAttribute('data-testid'),
    );
    expect(order).toEqual(['card-c1', 'card-c2', 'card-c3']);
  });

  it('marks a full column', async () => {
    await update(() => client.setRows('cards', [card('c1', 'doing', 'a0'), card('c2', 'doing', 'a1')]));
    expect(page.byTestId('column-doing').dataset.full).toBe('true');
    expect(page.byTestId('column-count-doing').textContent).toBe('2/2 full');
  });

  it('adds a card at the end of a column', async () => {
    await typeInto(page.byTestId('add-card-input-doing'), '  Write tests ');
    await fire(page.byTestId('add-card-submit-doing'), 'click');
    expect(client.executed).toEqual([
      {
        name: 'addCard',
        args: { boardId, cardId: expect.stringMatching(/^card-[\w-]+$/u), columnId: 'doing', title: 'Write tests' },
      },
    ]);
    expect(page.byTestId<HTMLInputElement>('add-card-input-doing').value).toBe('');
  });

  it('ignores an empty title', async () => {
    await typeInto(page.byTestId('add-card-input-todo'), '   ');
    await fire(page.byTestId('add-card-submit-todo'), 'click');
    expect(client.executed).toEqual([]);
  });

  it('renames a card', async () => {
    await fire(page.byTestId('card-rename-c2'), 'click');
    const input = page.byTestId<HTMLInputElement>('card-rename-input-c2');
    expect(input.value).toBe('Card c2');
    await typeInto(input, 'Renamed');
    await fire(input.form as HTMLFormElement, 'submit');
    await fire(input, 'blur');
    expect(client.executed).toEqual([{ name: 'renameCard', args: { boardId, cardId: 'c2', title: 'Renamed' } }]);
  });

  it('archives a card', async () => {
    await fire(page.byTestId('card-archive-c3'), 'click');
    expect(client.executed).toEqual([{ name: 'archiveCard', args: { boardId, cardId: 'c3' } }]);
  });

  it('moves a card to another column with the select', async () => {
    await choose(page.byTestId('card-move-c1'), 'doing');
    expect(client.executed).toEqual([{ name: 'moveCard', args: { boardId, cardId: 'c1', toColumnId: 'doing' } }]);
  });

  it('reorders a card up and down with beforeCardId', async () => {
    expect(page.byTestId<HTMLButtonElement>('card-up-c1').disabled).toBe(true);
    expect(page.byTestId<HTMLButtonElement>('card-down-c3').disabled).toBe(true);
    await fire(page.byTestId('card-up-c3'), 'click'); // before c2
    await fire(page.byTestId('card-down-c1'), 'click'); // before c3, the card after next
    await fire(page.byTestId('card-down-c2'), 'click'); // second to last: to the end
    expect(client.executed.map((e) => e.args)).toEqual([
      { boardId, cardId: 'c3', toColumnId: 'todo', beforeCardId: 'c2' },
      { boardId, cardId: 'c1', toColumnId: 'todo', beforeCardId: 'c3' },
      { boardId, cardId: 'c2', toColumnId: 'todo' },
    ]);
  });

  it('moves a card by drag and drop onto a column (last) or onto a card (before it)', async () => {
    await fire(page.byTestId('card-c1'), 'dragstart');
    await fire(page.byTestId('column-doing'), 'dragover');
    await fire(page.byTestId('column-doing'), 'drop');
    await fire(page.byTestId('card-c3'), 'dragstart');
    await fire(page.byTestId('card-c1'), 'drop');
    expect(client.executed).toEqual([
      { name: 'moveCard', args: { boardId, cardId: 'c1', toColumnId: 'doing' } },
      { name: 'moveCard', args: { boardId, cardId: 'c3', toColumnId: 'todo', beforeCardId: 'c1' } },
    ]);
  });

  it('does nothing when a card is dropped on itself', async () => {
    await fire(page.byTestId('card-c2'), 'dragstart');
    await fire(page.byTestId('card-c2'), 'drop');
    expect(client.executed).toEqual([]);
  });

  it('tells why a command was refused locally', async () => {
    client.refuseNext('WIP_LIMIT', 'column "Doing" is full (2 cards)');
    await choose(page.byTestId('card-move-c1'), 'doing');
    await settle();
    const [toast] = page.all('toast');
    expect(toast?.dataset.code).toBe('WIP_LIMIT');
    expect(toast?.textContent).toContain('Rejected moveCard');
    expect(toast?.textContent).toContain('column "Doing" is full (2 cards)');
  });
});
