import { type FormEvent, useState } from 'react';
import { useQuery } from '../../client/react.ts';
import { boardScope, type Column as ColumnRow } from '../app.ts';
import { CardItem } from './CardItem.tsx';
import { newCardId, run, useDemo } from './demo-context.ts';
import { allowCardDrop, droppedCard } from './drag.ts';

/** One column: title, WIP count/limit (marked when full), its cards in rank order, a form to add one. */
export function Column({ column, columns }: { column: ColumnRow; columns: ReadonlyArray<ColumnRow> }) {
  const demo = useDemo();
  const { client, boardId } = demo;
  const cards = useQuery(client, {
    table: 'cards',
    scope: boardScope(boardId),
    where: { columnId: column.columnId },
    orderBy: 'rank',
  });
  const [title, setTitle] = useState('');
  const [over, setOver] = useState(false);
  const full = column.wipLimit !== null && cards.length >= column.wipLimit;
  const id = column.columnId;

  const add = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = title.trim();
    if (!trimmed) return;
    run(demo, 'addCard', { boardId, cardId: newCardId(), columnId: id, title: trimmed });
    setTitle('');
  };

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a drop target; the card's select is the keyboard way
    <section
      className={`column${full ? ' full' : ''}${over ? ' over' : ''}`}
      data-testid={`column-${id}`}
      data-full={full ? 'true' : 'false'}
      onDragOver={(event) => {
        allowCardDrop(event);
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(event) => {
        event.preventDefault();
        setOver(false);
        const cardId = droppedCard(event);
        if (cardId) run(demo, 'moveCard', { boardId, cardId, toColumnId: id });
      }}
    >
      <header>
        <h2 data-testid={`column-title-${id}`}>{column.title}</h2>
        <span className="wip" data-testid={`column-count-${id}`} title={full ? 'this column is full' : undefined}>
          {column.wipLimit === null ? cards.length : `${cards.length}/${column.wipLimit}`}
          {full && <strong className="full-badge"> full</strong>}
        </span>
      </header>
      <ol className="cards">
        {cards.map((card, index) => (
          <CardItem
            key={card.cardId}
            card={card}
            columns={columns}
            previous={cards[index - 1]?.cardId ?? null}
            afterNext={index + 1 < cards.length ? (cards[index + 2]?.cardId ?? 'end') : null}
          />
        ))}
      </ol>
      <form className="add-card" onSubmit={add}>
        <input
          data-testid={`add-card-input-${id}`}
          aria-label={`New card in ${column.title}`}
          placeholder={full ? 'Column full' : 'New card…'}
          maxLength={200}
          value={title}
          onChange={(event) => setTitle(event.target.value)}
        />
        <button type="submit" data-testid={`add-card-submit-${id}`}>
          Add
        </button>
      </form>
    </section>
  );
}
