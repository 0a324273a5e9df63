import { generateKeyBetween } from 'fractional-indexing';
import * as v from 'valibot';
import { applyTextOps, defineApp, TextEditSchema, TextOpsSchema, table, textEdit, textField } from '../shared/index.ts';

/**
 * The kanban board of the demo, and the main fixture of the tests. Every command writes the
 * scope `board:<boardId>`; ids of new things come from the client in the args.
 */
const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(64), v.regex(/^[\w-]+$/u, 'letters, digits, _ and - only'));
const Title = v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(200));
const WipLimit = v.pipe(v.number(), v.integer(), v.minValue(1));
const Rank = v.pipe(v.string(), v.minLength(1));

const Board = v.object({ boardId: Id, title: Title, createdAt: v.number() });
const Column = v.object({ columnId: Id, boardId: Id, title: Title, wipLimit: v.nullable(WipLimit), rank: Rank });
const Card = v.object({ cardId: Id, boardId: Id, columnId: Id, title: Title, rank: Rank });
export type Board = v.InferOutput<typeof Board>;
export type Column = v.InferOutput<typeof Column>;
/** A card's description: collaborative text, merged character by character (README "Text"). */
const Description = v.object({ cardId: Id, boardId: Id, text: textField() });
export type Card = v.InferOutput<typeof Card>;
export type Description = v.InferOutput<typeof Description>;

export const boardScope = (boardId: string): string => `board:${boardId}`;

export const kanban = defineApp({
  name: 'kanban',
  version: 1,
  events: {
    boardCreated: v.object({ boardId: Id, title: Title }),
    columnAdded: v.object({ boardId: Id, columnId: Id, title: Title, wipLimit: v.nullable(WipLimit), rank: Rank }),
    cardAdded: v.object({ boardId: Id, cardId: Id, columnId: Id, title: Title, rank: Rank }),
    cardMoved: v.object({ cardId: Id, fromColumnId: Id, toColumnId: Id, rank: Rank }),
    cardRenamed: v.object({ cardId: Id, title: Title }),
    cardArchived: v.object({ cardId: Id, columnId: Id }),
    descriptionEdited: v.object({ boardId: Id, cardId: Id, ops: TextOpsSchema }),
  },
  tables: {
    boards: table(Board, { key: 'boardId' }),
    // Each board renders its columns, and each column its cards, in rank order.
    columns: table(Column, { key: 'columnId', indexes: [['boardId', 'rank']] }),
    cards: table(Card, {
      key: 'cardId',
      indexes: [
        ['columnId', 'rank'],
        ['boardId', 'rank'],
      ],
    }),
    descriptions: table(Description, { key: 'cardId' }),
  },
  projections: {
    boardCreated: (tx, { data, at }) => tx.put('boards', { ...data, createdAt: at }),
    columnAdded: (tx, { data }) => tx.put('columns', data),
    cardAdded: (tx, { data }) => tx.put('cards', data),
    cardMoved: (tx, { data }) => {
      const card = tx.get('cards', data.cardId);
      if (card) tx.put('cards', { ...card, columnId: data.toColumnId, rank: data.rank });
    },
    cardRenamed: (tx, { data }) => {
      const card = tx.get('cards', data.cardId);
      if (card) tx.put('cards', { ...card, title: data.title });
    },
    cardArchived: (tx, { data }) => tx.delete('cards', data.cardId),
    descriptionEdited: (tx, { data }) => {
      const text = applyTextOps(tx.get('descriptions', data.cardId)?.text, data.ops);
      tx.put('descriptions', { cardId: data.cardId, boardId: data.boardId, text });
    },
  },
  commands: {
    createBoard: {
      args: v.object({ boardId: Id, title: Title }),
      scope: (args) => boardScope(args.boardId),
      run(ctx, args) {
        if (ctx.get('boards', args.boardId))
          return ctx.reject('ALREADY_EXISTS', `board ${args.boardId} already exists`);
        ctx.emit('boardCreated', args);
      },
    },
    addColumn: {
      args: v.object({ boardId: Id, columnId: Id, title: Title, wipLimit: v.optional(WipLimit) }),
      scope: (args) => boardScope(args.boardId),
      run(ctx, args) {
        if (!ctx.get('boards', args.boardId)) return ctx.reject('NOT_FOUND', `board ${args.boardId} does not exist`);
        if (ctx.get('columns', args.columnId))
          return ctx.reject('ALREADY_EXISTS', `column ${args.columnId} already exists`);
        const last = ctx.last('columns', { index: ['boardId', 'rank'], where: { boardId: args.boardId } });
        ctx.emit('columnAdded', {
          boardId: args.boardId,
          columnId: args.columnId,
          title: args.title,
          wipLimit: args.wipLimit ?? null,
          rank: generateKeyBetween(last?.rank ?? null, null),
        });
      },
    },
    addCard: {
      args: v.object({ boardId: Id, cardId: Id, columnId: Id, title: Title }),
      scope: (args) => boardScope(args.boardId),
      run(ctx, args) {
        const column = ctx.get('columns', args.columnId);
        if (!column) return ctx.reject('NOT_FOUND', `column ${args.columnId} does not exist`);
        if (ctx.get('cards', args.cardId)) return ctx.reject('ALREADY_EXISTS', `card ${args.cardId} already exists`);
        const inColumn = { index: ['columnId', 'rank'], where: { columnId: args.columnId } } as const;
        // Counting stops at the limit: a full column is found without reading all its cards.
        if (
          column.wipLimit !== null &&
          ctx.query('cards', { ...inColumn, limit: column.wipLimit }).length >= column.wipLimit
        ) {
          return ctx.reject('WIP_LIMIT', `column "${column.title}" is full (${column.wipLimit} cards)`);
        }
        const last = ctx.last('cards', inColumn);
        ctx.emit('cardAdded', { ...args, rank: generateKeyBetween(last?.rank ?? null, null) });
      },
    },
    moveCard: {
      args: v.object({ boardId: Id, cardId: Id, toColumnId: Id, beforeCardId: v.optional(Id) }),
      scope: (args) => boardScope(args.boardId),
      run(ctx, args) {
        const card = ctx.get('cards', args.cardId);
        if (!card) return ctx.reject('NOT_FOUND', `card ${args.cardId} does not exist`);
        const column = ctx.get('columns', args.toColumnId);
        if (!column) return ctx.reject('NOT_FOUND', `column ${args.toColumnId} does not exist`);
        const inColumn = { index: ['columnId', 'rank'], where: { columnId: args.toColumnId } } as const;
        const isOther = (c: Card) => c.cardId !== card.cardId;
        if (column.wipLimit !== null) {
          const others = ctx.query('cards', { ...inColumn, limit: column.wipLimit + 1 }).filter(isOther);
          if (others.length >= column.wipLimit) {
            return ctx.reject('WIP_LIMIT', `column "${column.title}" is full (${column.wipLimit} cards)`);
          }
        }
        // Two rows at most: the card itself may be the neighbour it skips.
        const before = (range?: { lt: string }) =>
          ctx
            .query('cards', { ...inColumn, ...(range && { range }), orderBy: { direction: 'desc' }, limit: 2 })
            .find(isOther);
        let rank: string;
        if (args.beforeCardId === undefined) {
          rank = generateKeyBetween(before()?.rank ?? null, null);
        } else {
          const next = ctx.get('cards', args.beforeCardId);
          if (!next || next.columnId !== args.toColumnId || !isOther(next))
            return ctx.reject('NOT_FOUND', `card ${args.beforeCardId} is not in column ${args.toColumnId}`);
          rank = generateKeyBetween(before({ lt: next.rank })?.rank ?? null, next.rank);
        }
        ctx.emit('cardMoved', { cardId: card.cardId, fromColumnId: card.columnId, toColumnId: column.columnId, rank });
      },
    },
    renameCard: {
      args: v.object({ boardId: Id, cardId: Id, title: Title }),
      scope: (args) => boardScope(args.boardId),
      run(ctx, args) {
        if (!ctx.get('cards', args.cardId)) return ctx.reject('NOT_FOUND', `card ${args.cardId} does not exist`);
        ctx.emit('cardRenamed', { cardId: args.cardId, title: args.title });
      },
    },
    archiveCard: {
      args: v.object({ boardId: Id, cardId: Id }),
      scope: (args) => boardScope(args.boardId),
      run(ctx, args) {
        const card = ctx.get('cards', args.cardId);
        if (!card) return ctx.reject('NOT_FOUND', `card ${args.cardId} does not exist`);
        ctx.emit('cardArchived', { cardId: card.cardId, columnId: card.columnId });
      },
    },
    /** One burst of typing in a card's description: ID-anchored inserts and deletes. */
    editDescription: {
      args: v.object({ boardId: Id, cardId: Id, edit: TextEditSchema }),
      scope: (args) => boardScope(args.boardId),
      run(ctx, args) {
        if (!ctx.get('cards', args.cardId)) return ctx.reject('NOT_FOUND', `card ${args.cardId} does not exist`);
        const current = ctx.get('descriptions', args.cardId)?.text;
        ctx.emit('descriptionEdited', {
          boardId: args.boardId,
          cardId: args.cardId,
          ops: textEdit(ctx, current, args.edit),
        });
      },
    },
  },
});

export type KanbanApp = typeof kanban;
