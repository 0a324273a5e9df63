/**
 * A deterministic kanban history for the stored-state benches: seq 1 creates the board, seqs
 * 2…101 add its 100 columns, and from seq 102 on every card gets ten events, one `cardAdded`
 * then nine `cardRenamed` (so 1,000,000 events hold 100,000 cards, 1,000 per column). The
 * bench page seeds IndexedDB with it through the engine's own storage adapter, and the fake
 * server of the engine worker serves the same history, so whatever a client pulls continues
 * what it holds.
 */

import { kanban } from '../../../demo/app.ts';
import type { Row, WireEvent } from '../../../shared/index.ts';
import { type ClientStorage, dexieStorage, type RowWrite } from '../../../testing/index.ts';

export const HISTORY_COLUMNS = 100;
export const EVENTS_PER_CARD = 10;
const FIRST_CARD_SEQ = HISTORY_COLUMNS + 2;
const SEED_BATCH = 10_000;
const AT = 1_700_000_000_000;

/** The event at `seq` of `board`'s history. */
export function historyEvent(board: string, seq: number): WireEvent {
  const scope = `board:${board}`;
  const base = { seq, scope, commandId: `h-${seq}`, clientId: 'history', at: AT + seq };
  if (seq === 1) return { ...base, type: 'boardCreated', data: { boardId: board, title: 'Bench' } };
  if (seq < FIRST_CARD_SEQ) return { ...base, type: 'columnAdded', data: column(board, seq - 2) };
  const { card, edit } = cardOf(seq);
  if (edit === 0) return { ...base, type: 'cardAdded', data: cardRow(board, card, 0) };
  return { ...base, type: 'cardRenamed', data: { cardId: `c${card}`, title: title(card, edit) } };
}

/** How many cards the first `head` events of a history hold. */
export function cardsAt(head: number): number {
  return head < FIRST_CARD_SEQ ? 0 : cardOf(head).card + 1;
}

/** The card that the event at `seq` adds or renames, and its title after that event. */
export function historyCard(seq: number): { cardId: string; title: string } {
  const { card, edit } = cardOf(seq);
  return { cardId: `c${card}`, title: title(card, edit) };
}

/**
 * Extends the history stored in `dbName` from `from` (its current head) to `to` events, with
 * one `commit` of the storage adapter per 10,000 events (events, the rows they leave, the
 * cursor), as a catch-up would write them. Returns the new head.
 */
export async function seedHistory(
  dbName: string,
  board: string,
  from: number,
  to: number,
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<number> {
  const storage: ClientStorage = dexieStorage({ name: dbName, tables: kanban.tables });
  try {
    for (let start = from + 1; start <= to; start += SEED_BATCH) {
      const end = Math.min(to, start + SEED_BATCH - 1);
      const events: WireEvent[] = [];
      for (let seq = start; seq <= end; seq++) events.push(historyEvent(board, seq));
      await storage.commit({ events, rows: rowsOf(board, start, end), cursors: { [`board:${board}`]: end } });
      onProgress(end - from, to - from);
    }
  } finally {
    await storage.close();
  }
  return Math.max(from, to);
}

/** The rows that events `start…end` touch, as they stand after `end`. */
function rowsOf(board: string, start: number, end: number): RowWrite[] {
  const scope = `board:${board}`;
  const rows: RowWrite[] = [];
  const put = (table: string, key: string, row: Row) => rows.push({ table, scope, key, row });
  if (start <= 1) put('boards', board, { boardId: board, title: 'Bench', createdAt: AT + 1 });
  for (let seq = Math.max(start, 2); seq <= Math.min(end, FIRST_CARD_SEQ - 1); seq++) {
    const data = column(board, seq - 2);
    put('columns', data.columnId, data);
  }
  if (end < FIRST_CARD_SEQ) return rows;
  const first = cardOf(Math.max(start, FIRST_CARD_SEQ)).card;
  const last = cardOf(end);
  for (let card = first; card <= last.card; card++) {
    const edit = card === last.card ? last.edit : EVENTS_PER_CARD - 1;
    put('cards', `c${card}`, cardRow(board, card, edit));
  }
  return rows;
}

function cardOf(seq: number): { card: number; edit: number } {
  const index = seq - FIRST_CARD_SEQ;
  return { card: Math.floor(index / EVENTS_PER_CARD), edit: index % EVENTS_PER_CARD };
}

function title(card: number, edit: number): string {
  return edit === 0 ? `card ${card}` : `card ${card} v${edit}`;
}

function column(board: string, index: number) {
  return { boardId: board, columnId: `col${index}`, title: `C${index}`, wipLimit: null, rank: rank(index) };
}

function cardRow(board: string, card: number, edit: number) {
  const columnId = `col${card % HISTORY_COLUMNS}`;
  return {
    boardId: board,
    cardId: `c${card}`,
    columnId,
    title: title(card, edit),
    rank: rank(Math.floor(card / HISTORY_COLUMNS)),
  };
}

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The `n`-th key of a fractional-indexing sequence (`a0`…`az`, `b00`…), valid for its parser. */
function rank(n: number): string {
  if (n < 62) return `a${DIGITS[n]}`;
  const m = n - 62;
  if (m < 62 * 62) return `b${DIGITS[Math.floor(m / 62)]}${DIGITS[m % 62]}`;
  const k = m - 62 * 62;
  return `c${DIGITS[Math.floor(k / 3844) % 62]}${DIGITS[Math.floor(k / 62) % 62]}${DIGITS[k % 62]}`;
}
