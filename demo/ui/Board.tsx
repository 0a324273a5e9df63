import { useQuery } from '../../client/react.ts';
import { boardScope } from '../app.ts';
import { Column } from './Column.tsx';
import { useDemo } from './demo-context.ts';

/** The board: its title and its columns in rank order. */
export function Board() {
  const { client, boardId } = useDemo();
  const boards = useQuery(client, { table: 'boards', scope: boardScope(boardId), where: { boardId } });
  const columns = useQuery(client, {
    table: 'columns',
    scope: boardScope(boardId),
    where: { boardId },
    orderBy: 'rank',
  });
  const board = boards[0];
  return (
    <section className="board" data-testid="board" data-board-id={boardId}>
      <h1 data-testid="board-title">{board ? board.title : `Board ${boardId}`}</h1>
      {!board && (
        <p className="hint" data-testid="board-missing">
          This board is not here yet: it is being created, or is on its way from the server.
        </p>
      )}
      <div className="columns">
        {columns.map((column) => (
          <Column key={column.columnId} column={column} columns={columns} />
        ))}
      </div>
    </section>
  );
}
