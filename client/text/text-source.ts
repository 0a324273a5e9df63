import {
  type AnyApp,
  type CommandArgs,
  type CommandName,
  EMPTY_TEXT,
  type TextEditArgs,
  type TextValue,
} from '../../shared/index.ts';
import type { WeftClient } from '../page/index.ts';
import type { Query } from '../query/index.ts';
import type { TextSource } from './textarea-binding.ts';

export interface ClientTextSourceOptions<A extends AnyApp, N extends CommandName<A>> {
  /** The query whose first row holds the field, e.g. `{ table: 'notes', where: { noteId } }`. */
  readonly query: Query<A['tables']>;
  /** The row's text field. */
  readonly field: string;
  /** The command that carries one edit, e.g. `(edit) => ['editNote', { noteId, edit }]`. */
  readonly command: (edit: TextEditArgs) => readonly [N, CommandArgs<A, N>];
}

/**
 * A `TextSource` over a weft client: the field's value comes from a live query, each edit is a
 * command. A missing row reads as the empty text.
 */
export function clientTextSource<A extends AnyApp, N extends CommandName<A>>(
  client: WeftClient<A>,
  options: ClientTextSourceOptions<A, N>,
): TextSource {
  return {
    subscribe(listener) {
      return client.subscribe(options.query, (rows) => {
        const row = rows[0] as Readonly<Record<string, unknown>> | undefined;
        listener((row?.[options.field] as TextValue | undefined) ?? EMPTY_TEXT);
      });
    },
    commit(edit) {
      const [name, args] = options.command(edit as TextEditArgs);
      let execution: ReturnType<typeof client.execute>;
      try {
        execution = client.execute(name, args);
      } catch {
        return null; // refused at once (e.g. a closed client): the binding shows the document again
      }
      // The binding learns of a rejection through `confirmed`; the other stages are not its concern.
      execution.applied.catch(() => {});
      execution.durable.catch(() => {});
      return { id: execution.id, confirmed: execution.confirmed };
    },
  };
}
