import { clientTextSource } from '../../client/index.ts';
import { useTextarea } from '../../client/react.ts';
import { useDemo } from './demo-context.ts';

/**
 * A card's description: collaborative text. Two people typing in it at once, online or
 * offline, both keep every character; the binding sends each burst of typing as one
 * `editDescription` command and merges the other's edits without moving the caret.
 */
export function CardDescription({ cardId }: { readonly cardId: string }) {
  const { client, boardId } = useDemo();
  const ref = useTextarea(
    () =>
      clientTextSource(client, {
        query: { table: 'descriptions', where: { cardId } },
        field: 'text',
        command: (edit) => ['editDescription', { boardId, cardId, edit }] as const,
      }),
    [client, boardId, cardId],
  );
  return (
    <textarea
      ref={ref}
      className="card-description"
      data-testid={`card-description-${cardId}`}
      aria-label="Description"
      placeholder="Description"
      rows={2}
    />
  );
}
