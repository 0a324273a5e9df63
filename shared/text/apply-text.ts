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
  const original = value?.runs ?? [];
  // Copied on the first change only: an insert builds its result in the one pass that finds its
  // anchor; a delete changes a copy in place.
  let runs: TextRun[] | null = null;
  for (const op of ops) {
    if ('insert' in op) runs = withInsert(runs ?? original, op.id, op.after, op.insert) ?? runs;
    else {
      const target: TextRun[] = runs ?? [...original];
      let changed = false;
      for (const span of op.delete) changed = deleteSpan(target, span) || changed;
      if (changed) runs = target;
    }
  }
  return runs === null ? null : { runs };
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

/**
 * `runs` with `text` inserted right after `after` (at the start for `null`, at the end for an
 * unknown anchor), built in one pass; `null` when this insert is already there.
 */
function withInsert(runs: ReadonlyArray<TextRun>, bunch: string, after: TextId | null, text: string): TextRun[] | null {
  if (text.length === 0) return null;
  const inserted: TextRun = [bunch, 0, text];
  const out: TextRun[] = after === null ? [inserted] : [];
  let placed = after === null;
  for (const run of runs) {
    if (run[0] === bunch) return null;
    if (!placed && after && run[0] === after[0] && run[1] <= after[1] && after[1] < run[1] + runLength(run)) {
      const offset = after[1] + 1 - run[1];
      const length = runLength(run);
      if (offset < length) {
        const content = run[2];
        out.push(
          typeof content === 'string' ? [run[0], run[1], content.slice(0, offset)] : [run[0], run[1], offset],
          inserted,
          typeof content === 'string'
            ? [run[0], run[1] + offset, content.slice(offset)]
            : [run[0], run[1] + offset, length - offset],
        );
      } else out.push(run, inserted);
      placed = true;
      continue;
    }
    out.push(run);
  }
  if (!placed) out.push(inserted);
  return out;
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
