import fc from 'fast-check';
import { boardScope, type KanbanApp } from '../../demo/app.ts';
import type { Engine, MemoryTransport } from '../../testing/index.ts';

/**
 * What the in-process kanban property tests share (F11 convergence, V05 rebuild equivalence):
 * one board `b` with three columns, random card commands against it, and polling helpers.
 */
export const SCOPE = boardScope('b');
export const CARDS = ['k1', 'k2', 'k3', 'k4'];
export const COLUMNS = ['todo', 'doing', 'done'];

/** A random card command on board `b`; renames pick their title from `titles`. */
export function kanbanCommand(titles: readonly string[]) {
  return fc.oneof(
    fc.record({
      name: fc.constant('addCard' as const),
      cardId: fc.constantFrom(...CARDS),
      columnId: fc.constantFrom(...COLUMNS),
    }),
    fc.record({
      name: fc.constant('moveCard' as const),
      cardId: fc.constantFrom(...CARDS),
      columnId: fc.constantFrom(...COLUMNS),
    }),
    fc.record({
      name: fc.constant('renameCard' as const),
      cardId: fc.constantFrom(...CARDS),
      title: fc.constantFrom(...titles),
    }),
    fc.record({ name: fc.constant('archiveCard' as const), cardId: fc.constantFrom(...CARDS) }),
  );
}

export type KanbanCommand = ReturnType<typeof kanbanCommand> extends fc.Arbitrary<infer C> ? C : never;

/** Runs `c` on board `b` of `engine` (an added card is titled with its id). */
export function executeKanbanCommand(engine: Engine<KanbanApp>, c: KanbanCommand) {
  const boardId = 'b';
  return c.name === 'addCard'
    ? engine.execute('addCard', { boardId, cardId: c.cardId, columnId: c.columnId, title: c.cardId })
    : c.name === 'moveCard'
      ? engine.execute('moveCard', { boardId, cardId: c.cardId, toColumnId: c.columnId })
      : c.name === 'renameCard'
        ? engine.execute('renameCard', { boardId, cardId: c.cardId, title: c.title })
        : engine.execute('archiveCard', { boardId, cardId: c.cardId });
}

/** Creates board `b` with `todo`, `doing` (WIP limit 2) and `done` (WIP limit 1), confirmed by the server. */
export async function createBoard(engine: Engine<KanbanApp>): Promise<void> {
  const setup = [
    engine.execute('createBoard', { boardId: 'b', title: 'B' }),
    engine.execute('addColumn', { boardId: 'b', columnId: 'todo', title: 'To do' }),
    engine.execute('addColumn', { boardId: 'b', columnId: 'doing', title: 'Doing', wipLimit: 2 }),
    engine.execute('addColumn', { boardId: 'b', columnId: 'done', title: 'Done', wipLimit: 1 }),
  ];
  await Promise.all(setup.map((run) => run.confirmed));
}

/** Ends the faults: every client's transport and engine back online, then waits until every outbox drained. */
export async function drainAll(
  clients: ReadonlyArray<{ readonly transport: MemoryTransport; readonly engine: Engine<KanbanApp> }>,
  timeoutMs: number,
): Promise<void> {
  for (const client of clients) {
    client.transport.goOnline();
    client.engine.setOnline(true);
  }
  await until(
    () => clients.every((client) => client.engine.status().pending === 0),
    'every outbox to drain',
    timeoutMs,
  );
}

/** Polls `condition` (which may be async) until it holds, failing after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
}
