import { createHash } from 'node:crypto';
import { createReactionRunner, defineReaction, type ReactionRunner } from '../server/index.ts';
import { postgresCheckpoints } from '../server/postgres.ts';
import { sqliteCheckpoints } from '../server/sqlite.ts';
import type { WireEvent } from '../shared/index.ts';
import { boardScope } from './app.ts';

export const ARCHIVE_BOARD = 'archive';
export const ARCHIVE_COLUMN = 'archive-log';

/**
 * A saga: when a card is archived on any board, add a card naming it to the "archive" board,
 * creating that board and its column first if needed. Each follow-up command is exactly once.
 */
export const archiveLog = defineReaction({
  name: 'archiveLog',
  events: ['cardArchived'],
  scopePrefix: 'board:',
  async handle(events, ctx) {
    for (const event of events) {
      if (event.scope === boardScope(ARCHIVE_BOARD)) continue;
      const { cardId } = event.data as { cardId: string };
      const archive = await ctx.read(boardScope(ARCHIVE_BOARD));
      if (!archive.tables.get('boards', ARCHIVE_BOARD))
        await ctx.command(event, 'createBoard', { boardId: ARCHIVE_BOARD, title: 'Archive' });
      if (!archive.tables.get('columns', ARCHIVE_COLUMN))
        await ctx.command(event, 'addColumn', { boardId: ARCHIVE_BOARD, columnId: ARCHIVE_COLUMN, title: 'Archived' });
      const from = event.scope.slice('board:'.length);
      await ctx.command(event, 'addCard', {
        boardId: ARCHIVE_BOARD,
        cardId: archivedCardId(event),
        columnId: ARCHIVE_COLUMN,
        title: `${cardId} (from ${from})`.slice(0, 200),
      });
    }
  },
});

/** The archive card's id for one `cardArchived` event: the same on every re-delivery. */
export function archivedCardId(event: WireEvent): string {
  return `a-${createHash('sha256').update(`${event.scope}:${event.seq}`).digest('base64url').slice(0, 20)}`;
}

/**
 * The demo's reactions, checkpointed where the events are: in the event store's own SQLite file,
 * or in its PostgreSQL database, where nodes share the checkpoint and one runs each reaction.
 */
export function demoReactions(store: { sqliteFile: string } | { postgresUrl: string }): ReactionRunner {
  const checkpoints =
    'postgresUrl' in store
      ? postgresCheckpoints({ connectionString: store.postgresUrl })
      : sqliteCheckpoints({ file: store.sqliteFile });
  return createReactionRunner({ reactions: [archiveLog], checkpoints });
}
