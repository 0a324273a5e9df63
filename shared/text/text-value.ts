import * as v from 'valibot';

/**
 * The stored form of a collaborative text field ("text without CRDTs", Weidner 2025): an ID list
 * kept as runs in document order. Every character ever inserted keeps an id `[bunch, index]`:
 * `bunch` names the insert that created it (derived from its command id), `index` its place in
 * that insert's text. A run `[bunch, start, content]` covers the ids `[bunch, start]` …
 * `[bunch, start + length - 1]`; a string `content` is live text, a number is that many deleted
 * characters (tombstones: their text is dropped, only their ids stay, so that an insert anchored
 * on one still resolves). A tombstone run costs the same few bytes whatever it covered.
 *
 * Invariants: no two runs share an id; runs are never empty; adjacent runs of one bunch with
 * contiguous indexes and the same kind are merged (so equal documents have equal runs).
 */
export type TextRun = readonly [bunch: string, start: number, content: string | number];

/** A text field's value, as it sits in a projection row. */
export interface TextValue {
  readonly runs: ReadonlyArray<TextRun>;
}

/** The id of one character: the bunch that inserted it and its index in that insert. */
export type TextId = readonly [bunch: string, index: number];

/** A contiguous range of ids of one bunch: `[bunch, start, count]`. */
export type TextSpan = readonly [bunch: string, start: number, count: number];

/** The empty document. */
export const EMPTY_TEXT: TextValue = Object.freeze({ runs: Object.freeze([]) });

/** Most characters one insert may carry, and most spans one delete may name. */
export const TEXT_LIMITS = { insertChars: 10_000, deleteSpans: 2_000, ops: 64, bunchChars: 128 } as const;

const Bunch = v.pipe(v.string(), v.minLength(1), v.maxLength(TEXT_LIMITS.bunchChars));
const Index = v.pipe(v.number(), v.integer(), v.minValue(0));
const Count = v.pipe(v.number(), v.integer(), v.minValue(1));

export const TextIdSchema = v.pipe(v.tuple([Bunch, Index]), v.readonly());
export const TextSpanSchema = v.pipe(v.tuple([Bunch, Index, Count]), v.readonly());
const TextRunSchema = v.pipe(
  v.tuple([Bunch, Index, v.union([v.pipe(v.string(), v.minLength(1)), Count])]),
  v.readonly(),
);

/**
 * The schema of a text field in a projection row.
 *
 * @example
 * const Note = v.object({ noteId: v.string(), body: textField() });
 */
export function textField() {
  return v.object({ runs: v.pipe(v.array(TextRunSchema), v.readonly()) });
}

/** How many characters a run covers, live or deleted. */
export function runLength(run: TextRun): number {
  const content = run[2];
  return typeof content === 'string' ? content.length : content;
}

/** Whether a field's value is a text value (`{ runs: [...] }`); such fields merge, never overwrite. */
export function isTextValue(value: unknown): value is TextValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { runs?: unknown }).runs) &&
    Object.keys(value).length === 1
  );
}
