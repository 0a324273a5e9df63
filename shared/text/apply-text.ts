import type { TextOp } from './text-ops.ts';
import { runLength, type TextId, type TextRun, type TextSpan, type TextValue } from './text-value.ts';

/**
 * Applies event ops to a text value; pure (the value is copied, never changed in place).
 *
 * An insert goes immediately after its anchor, before anything inserted there earlier: the
 * server's order decides between concurrent inserts at one place, and one insert's characters
 * always stay contiguous. An unknown anchor puts the text at the end (a command checks its
 * anchors, so confirmed events never have one; the fallback keeps a projection total).
 * Applying an op twice changes nothing: an insert whose bunch is present is skipped, and
 * deleting a tombstone or an unknown id is a no-op.
 */
export function applyTextOps(value: TextValue | undefined, ops: ReadonlyArray<TextOp>): TextValue {
  return applyTextOpsIfChanged(value, ops) ?? value ?? { runs: [] };
}

/** As `applyTextOps`, or `null` when the ops change nothing (all of them already applied). */
export function applyTextOpsIfChanged(value: TextValue | undefined, ops: ReadonlyArray<TextOp>): TextValue | null {
  const runs = [...(value?.runs ?? [])];
  let changed = false;
  for (const op of ops) {
    if ('insert' in op) changed = insertRun(runs, op.id, op.after, op.insert) || changed;
    else for (const span of op.delete) changed = deleteSpan(runs, span) || changed;
  }
  return changed ? { runs } : null;
}

/** The index of the run holding `id`, or -1. */
export function findRun(runs: ReadonlyArray<TextRun>, id: TextId): number {
  const [bunch, index] = id;
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i] as TextRun;
    if (run[0] === bunch && run[1] <= index && index < run[1] + runLength(run)) return i;
  }
  return -1;
}

function insertRun(runs: TextRun[], bunch: string, after: TextId | null, text: string): boolean {
  if (text.length === 0) return false;
  // One pass: the anchor's run, and whether this insert is already here (then it is a no-op).
  let anchor = -1;
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i] as TextRun;
    if (run[0] === bunch) return false;
    if (anchor < 0 && after && run[0] === after[0] && run[1] <= after[1] && after[1] < run[1] + runLength(run))
      anchor = i;
  }
  let at = 0;
  if (after) {
    if (anchor < 0) at = runs.length;
    else {
      split(runs, anchor, after[1] + 1 - (runs[anchor] as TextRun)[1]);
      at = anchor + 1;
    }
  }
  runs.splice(at, 0, [bunch, 0, text]);
  return true;
}

function deleteSpan(runs: TextRun[], [bunch, start, count]: TextSpan): boolean {
  const end = start + count;
  let changed = false;
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i] as TextRun;
    const [b, s, content] = run;
    if (b !== bunch || typeof content !== 'string') continue;
    const lo = Math.max(s, start);
    const hi = Math.min(s + content.length, end);
    if (lo >= hi) continue;
    const pieces: TextRun[] = [];
    if (lo > s) pieces.push([b, s, content.slice(0, lo - s)]);
    pieces.push([b, lo, hi - lo]);
    if (hi < s + content.length) pieces.push([b, hi, content.slice(hi - s)]);
    runs.splice(i, 1, ...pieces);
    const last = i + pieces.length - 1;
    // Only the new tombstone can merge, with a tombstone of its bunch right before or after it.
    const tomb = lo > s ? i + 1 : i;
    const merged = mergeAt(runs, tomb, tomb + 1) + mergeAt(runs, tomb - 1, tomb);
    i = last - merged;
    changed = true;
  }
  return changed;
}

/** Merges runs `a` and `b` (adjacent) when they are one bunch, contiguous and the same kind; 1 if merged. */
function mergeAt(runs: TextRun[], a: number, b: number): number {
  const left = runs[a];
  const right = runs[b];
  if (!left || !right || left[0] !== right[0] || left[1] + runLength(left) !== right[1]) return 0;
  if (typeof left[2] === 'string' && typeof right[2] === 'string')
    runs.splice(a, 2, [left[0], left[1], left[2] + right[2]]);
  else if (typeof left[2] === 'number' && typeof right[2] === 'number')
    runs.splice(a, 2, [left[0], left[1], left[2] + right[2]]);
  else return 0;
  return 1;
}

/** Splits run `i` so that its first `offset` characters end a run (no-op at a run's end). */
function split(runs: TextRun[], i: number, offset: number): void {
  const [bunch, start, content] = runs[i] as TextRun;
  const length = typeof content === 'string' ? content.length : content;
  if (offset <= 0 || offset >= length) return;
  const head: TextRun = typeof content === 'string' ? [bunch, start, content.slice(0, offset)] : [bunch, start, offset];
  const tail: TextRun =
    typeof content === 'string'
      ? [bunch, start + offset, content.slice(offset)]
      : [bunch, start + offset, length - offset];
  runs.splice(i, 1, head, tail);
}
