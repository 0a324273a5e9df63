import { boardScope } from '../../demo/app.ts';
import type { PushCommand } from '../../shared/index.ts';
import { api, commandFactory } from './http.ts';

/** A board with columns `todo` (no limit) and `doing` (WIP limit 2), created by `clientId`. */
export async function seedBoard(url: string, user: string, clientId: string, boardId: string) {
  const client = api(url, `demo:${user}`);
  const commands = commandFactory(clientId);
  const setup: PushCommand[] = [
    commands.next('createBoard', { boardId, title: 'Board' }),
    commands.next('addColumn', { boardId, columnId: `${boardId}-todo`, title: 'To do' }),
    commands.next('addColumn', { boardId, columnId: `${boardId}-doing`, title: 'Doing', wipLimit: 2 }),
  ];
  const res = await client.push({ clientId, commands: setup });
  if (res.status !== 200) throw new Error(`seeding failed: ${JSON.stringify(res.json)}`);
  return { client, commands, scope: boardScope(boardId), todo: `${boardId}-todo`, doing: `${boardId}-doing` };
}
