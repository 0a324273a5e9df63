import { type FormEvent, useRef, useState } from 'react';
import type { Card, Column } from '../app.ts';
import { CardDescription } from './CardDescription.tsx';
import { run, useDemo } from './demo-context.ts';
import { allowCardDrop, droppedCard, endCardDrag, startCardDrag } from './drag.ts';

export interface CardItemProps {
  readonly card: Card;
  readonly columns: ReadonlyArray<Column>;
  /** The card above this one (move up = before it), or null at the top. */
  readonly previous: string | null;
  /** The card two below (move down = before it), `'end'` when this is second to last, null at the bottom. */
  readonly afterNext: string | null;
}

/** A card: drag it, move it to a column, reorder, rename or archive it. Dropping a card on it puts that card before it. */
export function CardItem({ card, columns, previous, afterNext }: CardItemProps) {
  const demo = useDemo();
  const { boardId } = demo;
  const [editing, setEditing] = useState<string | null>(null);
  // Enter submits and the field's blur follows: the title is committed once.
  const committed = useRef(false);
  const id = card.cardId;

  const move = (toColumnId: string, beforeCardId?: string) =>
    run(demo, 'moveCard', { boardId, cardId: id, toColumnId, ...(beforeCardId ? { beforeCardId } : {}) });
  const rename = (event: FormEvent) => {
    event.preventDefault();
    if (committed.current) return;
    committed.current = true;
    const title = editing?.trim();
    setEditing(null);
    if (title && title !== card.title) run(demo, 'renameCard', { boardId, cardId: id, title });
  };

  return (
    <li
      className="card"
      data-testid={`card-${id}`}
      data-card-title={card.title}
      draggable={editing === null}
      onDragStart={(event) => startCardDrag(event, id)}
      onDragEnd={endCardDrag}
      onDragOver={allowCardDrop}
      onDrop={(event) => {
        event.preventDefault();
        event.stopPropagation();
        const dropped = droppedCard(event);
        if (dropped && dropped !== id)
          run(demo, 'moveCard', { boardId, cardId: dropped, toColumnId: card.columnId, beforeCardId: id });
      }}
    >
      {editing === null ? (
        <span className="card-title" data-testid={`card-title-${id}`}>
          {card.title}
        </span>
      ) : (
        <form onSubmit={rename} className="rename">
          <input
            data-testid={`card-rename-input-${id}`}
            aria-label="Card title"
            maxLength={200}
            value={editing}
            onChange={(event) => setEditing(event.target.value)}
            onBlur={rename}
            // biome-ignore lint/a11y/noAutofocus: the field opens on the user's click
            autoFocus
          />
        </form>
      )}
      <CardDescription cardId={id} />
      <div className="card-actions">
        <select
          data-testid={`card-move-${id}`}
          aria-label="Move to column"
          value={card.columnId}
          onChange={(event) => move(event.target.value)}
        >
          {columns.map((column) => (
            <option key={column.columnId} value={column.columnId}>
              {column.title}
            </option>
          ))}
        </select>
        <button
          type="button"
          data-testid={`card-up-${id}`}
          title="Move up"
          disabled={previous === null}
          onClick={() => previous && move(card.columnId, previous)}
        >
          ↑
        </button>
        <button
          type="button"
          data-testid={`card-down-${id}`}
          title="Move down"
          disabled={afterNext === null}
          onClick={() => afterNext && move(card.columnId, afterNext === 'end' ? undefined : afterNext)}
        >
          ↓
        </button>
        <button
          type="button"
          data-testid={`card-rename-${id}`}
          title="Rename"
          onClick={() => {
            committed.current = false;
            setEditing(card.title);
          }}
        >
          ✎
        </button>
        <button
          type="button"
          data-testid={`card-archive-${id}`}
          title="Archive"
          onClick={() => run(demo, 'archiveCard', { boardId, cardId: id })}
        >
          archive
        </button>
      </div>
    </li>
  );
}
