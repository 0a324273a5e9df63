import * as v from 'valibot';
import { TEXT_LIMITS, type TextId, TextIdSchema, type TextSpan, TextSpanSchema } from './text-value.ts';

/**
 * What a client asks for (a command's args): insert `insert` right after the character `after`
 * (`null`: at the start), or delete the characters with the given ids. Positions never travel;
 * ids mean the same thing on every state, so the server re-runs an edit with no transform.
 */
export type TextEditOp =
  | { readonly insert: string; readonly after: TextId | null }
  | { readonly delete: ReadonlyArray<TextSpan> };
export type TextEdit = ReadonlyArray<TextEditOp>;

/** What an event carries: the edit with the bunch id each insert's characters got. */
export type TextOp =
  | { readonly insert: string; readonly after: TextId | null; readonly id: string }
  | { readonly delete: ReadonlyArray<TextSpan> };

const Insert = v.pipe(v.string(), v.minLength(1), v.maxLength(TEXT_LIMITS.insertChars));
const Spans = v.pipe(v.array(TextSpanSchema), v.minLength(1), v.maxLength(TEXT_LIMITS.deleteSpans), v.readonly());

/** The schema of an edit in a command's args. */
export const TextEditSchema = v.pipe(
  v.array(
    v.union([v.strictObject({ insert: Insert, after: v.nullable(TextIdSchema) }), v.strictObject({ delete: Spans })]),
  ),
  v.minLength(1),
  v.maxLength(TEXT_LIMITS.ops),
  v.readonly(),
);

/** An edit as a command's args schema takes it (the same data, typed as the schema's input). */
export type TextEditArgs = v.InferInput<typeof TextEditSchema>;

/** The schema of the ops in an event. */
export const TextOpsSchema = v.pipe(
  v.array(
    v.union([
      v.strictObject({ insert: Insert, after: v.nullable(TextIdSchema), id: v.pipe(v.string(), v.minLength(1)) }),
      v.strictObject({ delete: Spans }),
    ]),
  ),
  v.maxLength(TEXT_LIMITS.ops),
  v.readonly(),
);

/**
 * The bunch id of the `k`-th insert of command `commandId`. The client that issues the command
 * computes it too, so it knows the ids of what it typed before the server answers.
 */
export function bunchId(commandId: string, k: number): string {
  return `${commandId}/${k.toString(36)}`;
}

/** Gives each insert of `edit` its bunch id, derived from the command id. */
export function stampTextEdit(commandId: string, edit: TextEdit): TextOp[] {
  let k = 0;
  return edit.map((op) => ('insert' in op ? { insert: op.insert, after: op.after, id: bunchId(commandId, k++) } : op));
}
