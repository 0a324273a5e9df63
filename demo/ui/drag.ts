import type { DragEvent } from 'react';

/** HTML5 drag and drop of cards: the card id travels in the DataTransfer under this type. */
const CARD_TYPE = 'application/x-weft-card';
let dragging: string | null = null;

export function startCardDrag(event: DragEvent, cardId: string): void {
  dragging = cardId;
  event.dataTransfer?.setData(CARD_TYPE, cardId);
  event.dataTransfer?.setData('text/plain', cardId);
  if (event.dataTransfer) event.dataTransfer.effectAllowed = 'move';
}

export function endCardDrag(): void {
  dragging = null;
}

/** The card being dropped, or null when the drag carries something else. */
export function droppedCard(event: DragEvent): string | null {
  const id = event.dataTransfer?.getData(CARD_TYPE) || dragging;
  dragging = null;
  return id || null;
}

/** Accepts the drag over a drop target (the browser only drops where dragover was prevented). */
export function allowCardDrop(event: DragEvent): void {
  event.preventDefault();
  if (event.dataTransfer) event.dataTransfer.dropEffect = 'move';
}
