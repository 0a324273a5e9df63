import { findRun } from './apply-text.ts';
import { stampTextEdit, type TextEdit, type TextOp } from './text-ops.ts';
import type { TextValue } from './text-value.ts';

/** The part of a command's `ctx` that `textEdit` needs. */
export interface TextCommandContext {
  readonly commandId: string;
  reject(code: string, message: string): never;
}

/**
 * A command's helper: checks `edit` against the field's current value and returns the ops to
 * emit, each insert given its bunch id (derived from the command id, so every run of the
 * command emits the same ops). Rejects with `NOT_FOUND` when an insert's anchor is not in the
 * document (it came from a command that was rejected); deleting ids already deleted, or
 * unknown, is allowed and changes nothing, so two people deleting one word both succeed.
 *
 * @example
 * run(ctx, args) {
 *   const note = ctx.get('notes', args.noteId);
 *   if (!note) return ctx.reject('NOT_FOUND', 'no such note');
 *   ctx.emit('noteEdited', { noteId: args.noteId, ops: textEdit(ctx, note.body, args.edit) });
 * }
 */
export function textEdit(ctx: TextCommandContext, current: TextValue | undefined, edit: TextEdit): TextOp[] {
  const ops = stampTextEdit(ctx.commandId, edit);
  // An anchor is in the document, or among the characters an earlier insert of this edit adds.
  const added = new Map<string, number>();
  for (const op of ops) {
    if (!('insert' in op)) continue;
    const after = op.after;
    if (after !== null && !(after[1] < (added.get(after[0]) ?? 0)) && findRun(current?.runs ?? [], after) < 0) {
      return ctx.reject('NOT_FOUND', `text anchor ${after.join(':')} is not in the document`);
    }
    added.set(op.id, op.insert.length);
  }
  return ops;
}
