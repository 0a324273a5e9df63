import { findRun } from './apply-text.ts';
import type { TextEdit, TextEditOp } from './text-ops.ts';
import { runLength, type TextId, type TextRun, type TextSpan, type TextValue } from './text-value.ts';

/**
 * Positions ↔ ids. A position is a caret offset in the visible string (UTF-16 code units, as a
 * `<textarea>` counts); ids are what travels. Each function is one walk over the runs.
 */

/** The visible string. */
export function textString(value: TextValue | undefined): string {
  let out = '';
  for (const run of value?.runs ?? []) if (typeof run[2] === 'string') out += run[2];
  return out;
}

/** The id of the visible character just before caret position `pos`, `null` at the start. */
export function idBefore(value: TextValue | undefined, pos: number): TextId | null {
  if (pos <= 0) return null;
  let seen = 0;
  let last: TextId | null = null;
  for (const [bunch, start, content] of value?.runs ?? []) {
    if (typeof content !== 'string') continue;
    if (seen + content.length >= pos) return [bunch, start + pos - seen - 1];
    seen += content.length;
    last = [bunch, start + content.length - 1];
  }
  return last;
}

/**
 * The caret position just after character `id` (after the nearest visible character before it
 * when it was deleted); 0 for `null`; `null` when the id is unknown.
 */
export function caretAfter(value: TextValue | undefined, id: TextId | null): number | null {
  if (id === null) return 0;
  const runs = value?.runs ?? [];
  const at = findRun(runs, id);
  if (at < 0) return null;
  let pos = 0;
  for (let i = 0; i < at; i++) {
    const content = (runs[i] as TextRun)[2];
    if (typeof content === 'string') pos += content.length;
  }
  const [, start, content] = runs[at] as TextRun;
  return typeof content === 'string' ? pos + id[1] - start + 1 : pos;
}

/** The ids of the visible characters in `[from, to)`, as spans. */
export function spansIn(value: TextValue | undefined, from: number, to: number): TextSpan[] {
  const spans: TextSpan[] = [];
  let seen = 0;
  for (const [bunch, start, content] of value?.runs ?? []) {
    if (typeof content !== 'string') continue;
    const lo = Math.max(from, seen);
    const hi = Math.min(to, seen + content.length);
    if (lo < hi) spans.push([bunch, start + lo - seen, hi - lo]);
    seen += content.length;
    if (seen >= to) break;
  }
  return spans;
}

/**
 * Where caret position `pos` of `before` is in `after`: just after the same character, so
 * text inserted elsewhere, even right at the caret, leaves it beside what the user typed.
 */
export function mapCaret(before: TextValue | undefined, after: TextValue | undefined, pos: number): number {
  const anchor = idBefore(before, pos);
  const mapped = caretAfter(after, anchor);
  return mapped ?? Math.min(pos, textString(after).length);
}

/**
 * The edit that replaces the visible range `[from, to)` of `value` with `text`: a delete of
 * those ids, then an insert anchored on the character before `from`.
 */
export function textEditAt(value: TextValue | undefined, from: number, to: number, text: string): TextEdit {
  const edit: TextEditOp[] = [];
  if (to > from) edit.push({ delete: spansIn(value, from, to) });
  if (text.length > 0) edit.push({ insert: text, after: idBefore(value, from) });
  return edit;
}

/** How many characters a value holds, visible and deleted. */
export function textSize(value: TextValue | undefined): { visible: number; tombstones: number; runs: number } {
  let visible = 0;
  let tombstones = 0;
  for (const run of value?.runs ?? []) {
    if (typeof run[2] === 'string') visible += run[2].length;
    else tombstones += runLength(run);
  }
  return { visible, tombstones, runs: value?.runs.length ?? 0 };
}
