// The notes app, defined once: the page's worker runs it offline and the server re-runs it.
// Plain JavaScript, so server.mjs imports it with plain `node`; the page's TypeScript infers its
// types from it all the same (allowJs).
import * as v from 'valibot';
import { defineApp, table } from 'weft';

const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const Text = v.pipe(v.string(), v.minLength(1, 'a note needs some text'), v.maxLength(500));

export const notes = defineApp({
  name: 'notes',
  version: 1,
  events: {
    noteAdded: v.object({ noteId: Id, text: Text }),
    noteDeleted: v.object({ noteId: Id }),
  },
  tables: {
    notes: table(v.object({ noteId: Id, book: v.string(), text: Text, at: v.number() }), {
      key: 'noteId',
      indexes: ['book'],
    }),
  },
  projections: {
    noteAdded: (tx, { data, scope, at }) => tx.put('notes', { ...data, book: scope, at }),
    noteDeleted: (tx, { data }) => tx.delete('notes', data.noteId),
  },
  commands: {
    addNote: {
      args: v.object({ book: Id, noteId: Id, text: Text }),
      scope: (args) => `book:${args.book}`,
      run(ctx, args) {
        if (ctx.get('notes', args.noteId)) return ctx.reject('ALREADY_EXISTS', `note ${args.noteId} exists`);
        ctx.emit('noteAdded', { noteId: args.noteId, text: args.text });
      },
    },
    deleteNote: {
      args: v.object({ book: Id, noteId: Id }),
      scope: (args) => `book:${args.book}`,
      run(ctx, args) {
        if (!ctx.get('notes', args.noteId)) return ctx.reject('NOT_FOUND', `no note ${args.noteId}`);
        ctx.emit('noteDeleted', { noteId: args.noteId });
      },
    },
  },
});
