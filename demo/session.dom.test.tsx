import { describe, expect, it } from 'vitest';
import {
  boardIdFrom,
  DEFAULT_BOARD,
  ensureBoard,
  isBootstrapRace,
  loadUserName,
  saveUserName,
  tokenFor,
} from './session.ts';
import { fakeClient } from './ui/fake-client.ts';

describe('the page session', () => {
  it('opens the board named in the URL, or the default one', () => {
    expect(boardIdFrom('?board=team-1')).toBe('team-1');
    expect(boardIdFrom('')).toBe(DEFAULT_BOARD);
    expect(boardIdFrom('?board=not%20an%20id')).toBe(DEFAULT_BOARD);
  });

  it('keeps a random user name until it is changed, and makes its token', () => {
    localStorage.clear();
    const first = loadUserName();
    expect(first).toMatch(/^user-[\w-]+$/u);
    expect(loadUserName()).toBe(first);
    saveUserName('carol');
    expect(loadUserName()).toBe('carol');
    expect(tokenFor('carol')).toBe('demo:carol');
    expect(() => saveUserName('no spaces')).toThrow();
  });

  it('creates a missing board with its default columns, one with a WIP limit', async () => {
    const client = fakeClient();
    await ensureBoard(client, 'b9', 50);
    expect(client.executed).toEqual([
      { name: 'createBoard', args: { boardId: 'b9', title: 'b9' } },
      { name: 'addColumn', args: { boardId: 'b9', columnId: 'todo', title: 'To do' } },
      { name: 'addColumn', args: { boardId: 'b9', columnId: 'doing', title: 'Doing', wipLimit: 2 } },
      { name: 'addColumn', args: { boardId: 'b9', columnId: 'done', title: 'Done' } },
    ]);
  });

  it('leaves an existing board alone', async () => {
    const client = fakeClient();
    client.setRows('boards', [{ boardId: 'b9', title: 'b9', createdAt: 0 }]);
    await ensureBoard(client, 'b9', 50);
    expect(client.executed).toEqual([]);
  });

  it('knows the rejections of a creation race', () => {
    expect(isBootstrapRace({ name: 'createBoard', code: 'ALREADY_EXISTS' })).toBe(true);
    expect(isBootstrapRace({ name: 'moveCard', code: 'WIP_LIMIT' })).toBe(false);
  });
});
