import type { TextRun, TextValue } from './text-value.ts';

/**
 * Tombstone compaction. Tombstones are bounded first by their form: one deleted run costs one
 * `[bunch, start, count]` triple whatever its length, and its text is gone. They can be dropped
 * only where no command can still name them: an insert anchored on a dropped id would no longer
 * resolve. The rule: at a snapshot, drop the tombstone runs whose bunch `retired` says every
 * client has seen deleted — i.e. the command that deleted them is at or below the lowest
 * `baseSeq` any client may still push from. An insert that still names a dropped id lands at
 * the end of the document (see `applyTextOps`) instead of being lost.
 */
export function compactText(value: TextValue, retired: (bunch: string) => boolean): TextValue {
  const runs: TextRun[] = [];
  for (const run of value.runs) {
    if (typeof run[2] === 'number' && retired(run[0])) continue;
    runs.push(run);
  }
  return runs.length === value.runs.length ? value : { runs };
}
