import { describe, expect, it } from 'vitest';
import { applyTextOps, applyTextOpsIfChanged } from './apply-text.ts';
import { compactText } from './compact-text.ts';
import { textEdit } from './text-command.ts';
import { stampTextEdit, type TextEdit } from './text-ops.ts';
import { caretAfter, idBefore, mapCaret, spansIn, textEditAt, textString } from './text-positions.ts';
import { EMPTY_TEXT, type TextValue } from './text-value.ts';

/** Replaces `[from, to)` of `value` with `text`, as command `id` would. */
function edit(value: TextValue, id: string, from: number, to: number, text: string): TextValue {
  return applyTextOps(value, stampTextEdit(id, textEditAt(value, from, to, text)));
}

const ctx = (commandId: string) => ({
  commandId,
  reject(code: string, message: string): never {
    throw new Error(`${code}: ${message}`);
  },
});

describe('the ID list', () => {
  it('inserts, deletes and reads back positions', () => {
    let doc = edit(EMPTY_TEXT, 'a', 0, 0, 'hello');
    doc = edit(doc, 'b', 5, 5, ' world');
    doc = edit(doc, 'c', 0, 1, 'H');
    expect(textString(doc)).toBe('Hello world');
    expect(doc.runs).toEqual([
      ['c/0', 0, 'H'],
      ['a/0', 0, 1],
      ['a/0', 1, 'ello'],
      ['b/0', 0, ' world'],
    ]);
    expect(idBefore(doc, 0)).toBeNull();
    expect(idBefore(doc, 1)).toEqual(['c/0', 0]);
    expect(idBefore(doc, 3)).toEqual(['a/0', 2]);
    expect(caretAfter(doc, ['a/0', 2])).toBe(3);
    expect(caretAfter(doc, ['a/0', 0])).toBe(1); // deleted: just after the visible character before it ("H")
    expect(caretAfter(doc, ['nope', 0])).toBeNull();
    expect(spansIn(doc, 2, 8)).toEqual([
      ['a/0', 2, 3],
      ['b/0', 0, 3],
    ]);
  });

  it('puts a concurrent insert at the same anchor right after it, each insert contiguous', () => {
    const base = edit(EMPTY_TEXT, 'a', 0, 0, 'ab');
    const anchor = textEditAt(base, 1, 1, 'XYZ');
    const other = textEditAt(base, 1, 1, '123');
    // Both were made on `base`; the server applies `x` first, then `y`: y lands right after "a".
    const merged = applyTextOps(applyTextOps(base, stampTextEdit('x', anchor)), stampTextEdit('y', other));
    expect(textString(merged)).toBe('a123XYZb');
  });

  it('keeps an insert anchored on a deleted character where that character was', () => {
    const base = edit(EMPTY_TEXT, 'a', 0, 0, 'abc');
    const typed = stampTextEdit('t', textEditAt(base, 2, 2, '!')); // after "b"
    const deleted = edit(base, 'd', 1, 2, ''); // someone deletes "b" first
    expect(textString(applyTextOps(deleted, typed))).toBe('a!c');
  });

  it('is idempotent: an op applied twice changes nothing', () => {
    const base = edit(EMPTY_TEXT, 'a', 0, 0, 'abc');
    const ops = stampTextEdit('t', textEditAt(base, 1, 2, 'XY'));
    const once = applyTextOps(base, ops);
    expect(applyTextOpsIfChanged(once, ops)).toBeNull();
    expect(applyTextOps(once, ops)).toEqual(once);
  });

  it('merges runs back: deleting then the rest of a run leaves one tombstone run', () => {
    let doc = edit(EMPTY_TEXT, 'a', 0, 0, 'abcdef');
    doc = edit(doc, 'b', 1, 2, '');
    doc = edit(doc, 'c', 1, 3, '');
    doc = edit(doc, 'd', 0, 1, '');
    doc = edit(doc, 'e', 0, 2, '');
    expect(doc.runs).toEqual([['a/0', 0, 6]]);
    expect(textString(doc)).toBe('');
  });

  it('maps a caret through remote inserts before, at and after it', () => {
    const base = edit(EMPTY_TEXT, 'a', 0, 0, 'hello world');
    const caret = 5; // after "hello"
    const before = edit(base, 'r1', 0, 0, '>> ');
    expect(mapCaret(base, before, caret)).toBe(8);
    const at = edit(base, 'r2', 5, 5, ','); // at the caret: goes after it
    expect(textString(at)).toBe('hello, world');
    expect(mapCaret(base, at, caret)).toBe(5);
    const after = edit(base, 'r3', 11, 11, '!');
    expect(mapCaret(base, after, caret)).toBe(5);
    const deletedAround = edit(base, 'r4', 3, 8, '');
    expect(mapCaret(base, deletedAround, caret)).toBe(3);
  });

  it('checks anchors in a command and rejects an unknown one', () => {
    const base = edit(EMPTY_TEXT, 'a', 0, 0, 'ab');
    const ok: TextEdit = [
      { delete: [['a/0', 0, 1]] },
      { insert: 'x', after: ['a/0', 1] },
      { delete: [['gone', 0, 3]] },
    ];
    expect(textEdit(ctx('c1'), base, ok)).toEqual([
      { delete: [['a/0', 0, 1]] },
      { insert: 'x', after: ['a/0', 1], id: 'c1/0' },
      { delete: [['gone', 0, 3]] },
    ]);
    expect(() => textEdit(ctx('c2'), base, [{ insert: 'x', after: ['gone', 0] }])).toThrow('NOT_FOUND');
  });

  it('compaction drops retired tombstones; a late insert on one lands at the end', () => {
    let doc = edit(EMPTY_TEXT, 'a', 0, 0, 'abc');
    const late = stampTextEdit('late', textEditAt(doc, 2, 2, '!')); // after "b"
    doc = edit(doc, 'b', 1, 2, '');
    const compacted = compactText(doc, (bunch) => bunch === 'a/0');
    expect(compacted.runs).toEqual([
      ['a/0', 0, 'a'],
      ['a/0', 2, 'c'],
    ]);
    expect(textString(applyTextOps(compacted, late))).toBe('ac!');
  });
});
