// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import {
  applyTextOps,
  stampTextEdit,
  type TextEdit,
  type TextValue,
  textEditAt,
  textString,
} from '../../shared/index.ts';
import { bindTextarea, diff, type TextSource } from './textarea-binding.ts';

/** A source like a weft client: commits apply at once, listeners hear about it in a microtask. */
function fakeSource(initial: string | TextValue) {
  let value: TextValue =
    typeof initial === 'string'
      ? applyTextOps(undefined, stampTextEdit('init', textEditAt(undefined, 0, 0, initial)))
      : initial;
  const listeners = new Set<(value: TextValue) => void>();
  const commits: TextEdit[] = [];
  const set = (next: TextValue) => {
    value = next;
    queueMicrotask(() => {
      for (const listener of listeners) listener(value);
    });
  };
  const source: TextSource = {
    subscribe(listener) {
      listeners.add(listener);
      listener(value);
      return () => listeners.delete(listener);
    },
    commit(edit) {
      const id = `local${commits.length}`;
      commits.push(edit);
      set(applyTextOps(value, stampTextEdit(id, edit)));
      return { id, confirmed: new Promise(() => {}) };
    },
  };
  /** Another person's edit, made on the current value. */
  const remote = (from: number, to: number, text: string) =>
    set(applyTextOps(value, stampTextEdit(`remote${Math.random()}`, textEditAt(value, from, to, text))));
  return { source, commits, remote, text: () => textString(value) };
}

/** Manual timers, so a test decides when a burst's pause has passed. */
function manualTimers() {
  const due = new Map<number, () => void>();
  let next = 0;
  return {
    setTimeout: (run: () => void) => {
      due.set(++next, run);
      return next;
    },
    clearTimeout: (handle: unknown) => due.delete(handle as number),
    runAll() {
      for (const [handle, run] of [...due]) {
        due.delete(handle);
        run();
      }
    },
  };
}

/** Types `text` at the selection, as the browser does before it fires `input`. */
function type(el: HTMLTextAreaElement, text: string): void {
  const { selectionStart: s, selectionEnd: e, value } = el;
  el.value = value.slice(0, s) + text + value.slice(e);
  el.setSelectionRange(s + text.length, s + text.length);
  el.dispatchEvent(new Event('input'));
}

function backspace(el: HTMLTextAreaElement): void {
  const { selectionStart: s, value } = el;
  el.value = value.slice(0, s - 1) + value.slice(s);
  el.setSelectionRange(s - 1, s - 1);
  el.dispatchEvent(new Event('input'));
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function setup(initial: string | TextValue) {
  const el = document.createElement('textarea');
  document.body.append(el);
  const fake = fakeSource(initial);
  const timers = manualTimers();
  const binding = bindTextarea(el, fake.source, timers);
  return { el, fake, timers, binding };
}

describe('bindTextarea', () => {
  it('turns a burst of keystrokes into one command', async () => {
    const { el, fake, timers } = setup('hi');
    el.setSelectionRange(2, 2);
    for (const ch of ' there') type(el, ch);
    backspace(el);
    type(el, 'E');
    expect(fake.commits).toHaveLength(0);
    timers.runAll();
    expect(fake.commits).toEqual([[{ insert: ' therE', after: ['init/0', 1] }]]);
    await tick();
    expect(el.value).toBe('hi therE');
    expect(fake.text()).toBe('hi therE');
  });

  it('keeps the caret and the selection put under remote inserts before, at and after them', async () => {
    const { el, fake } = setup('hello world');
    el.setSelectionRange(5, 5);
    fake.remote(0, 0, '>> ');
    await tick();
    expect(el.value).toBe('>> hello world');
    expect([el.selectionStart, el.selectionEnd]).toEqual([8, 8]);
    fake.remote(14, 14, '!'); // after it
    fake.remote(8, 8, ','); // right at it: lands after the caret
    await tick();
    expect(el.value).toBe('>> hello, world!');
    expect([el.selectionStart, el.selectionEnd]).toEqual([8, 8]);
    el.setSelectionRange(3, 8); // "hello" selected
    fake.remote(5, 5, 'XX'); // inside the selection
    fake.remote(0, 3, ''); // before it, deleted
    await tick();
    expect(el.value).toBe('heXXllo, world!');
    expect([el.selectionStart, el.selectionEnd]).toEqual([0, 7]);
  });

  it('sends an open burst before applying a remote change, and keeps the caret after what was typed', async () => {
    const { el, fake } = setup('ab');
    el.setSelectionRange(1, 1);
    type(el, 'X');
    type(el, 'Y');
    fake.remote(2, 2, 'Z'); // at the end
    fake.remote(0, 0, '0'); // at the start
    await tick();
    expect(fake.commits).toEqual([[{ insert: 'XY', after: ['init/0', 0] }]]);
    expect(el.value).toBe('0aXYbZ');
    expect(fake.text()).toBe('0aXYbZ');
    expect(el.selectionStart).toBe(4);
  });

  it('leaves the textarea alone while an IME composes, and merges after compositionend', async () => {
    const { el, fake } = setup('abc');
    el.setSelectionRange(3, 3);
    el.dispatchEvent(new Event('compositionstart'));
    type(el, 'ｋ');
    fake.remote(0, 0, '>');
    await tick();
    expect(el.value).toBe('abcｋ');
    expect(fake.commits).toHaveLength(0);
    el.value = 'abc漢';
    el.setSelectionRange(4, 4);
    el.dispatchEvent(new Event('input'));
    el.dispatchEvent(new Event('compositionend'));
    await tick();
    expect(el.value).toBe('>abc漢');
    expect(el.selectionStart).toBe(5);
    expect(fake.text()).toBe('>abc漢');
  });

  it('sends a paste larger than one command may carry as several, in order', async () => {
    const { el, fake, timers } = setup('[]');
    el.setSelectionRange(1, 1);
    const pasted = 'abcdefghij'.repeat(1_000);
    type(el, pasted);
    timers.runAll();
    expect(fake.commits.map((edit) => edit.map((op) => ('insert' in op ? op.insert.length : 0)))).toEqual([
      [4_000],
      [4_000],
      [2_000],
    ]);
    await tick();
    expect(fake.text()).toBe(`[${pasted}]`);
    expect(el.value).toBe(`[${pasted}]`);
  });

  it('deletes a very fragmented selection in several commands, each within the limit of spans', async () => {
    // 2,500 visible characters, each its own span between tombstones.
    const runs = Array.from({ length: 2_500 }, (_, i) => [[`b${i}`, 0, 'a'] as const, [`b${i}`, 1, 1] as const]).flat();
    const { el, fake, timers } = setup({ runs });
    await tick();
    el.setSelectionRange(0, 2_500);
    type(el, 'x');
    timers.runAll();
    expect(fake.commits.map((edit) => edit.map((op) => ('delete' in op ? op.delete.length : op.insert)))).toEqual([
      [2_000],
      [500, 'x'],
    ]);
    await tick();
    expect(fake.text()).toBe('x');
    expect(el.value).toBe('x');
  });

  it('splits a burst when the caret jumps, so unchanged text between is not rewritten', () => {
    const { el, fake, timers } = setup('0123456789');
    el.setSelectionRange(2, 2);
    type(el, 'a');
    el.setSelectionRange(9, 9);
    type(el, 'b');
    timers.runAll();
    expect(fake.commits).toEqual([[{ insert: 'a', after: ['init/0', 1] }], [{ insert: 'b', after: ['init/0', 7] }]]);
  });
});

describe('diff', () => {
  it('places an ambiguous insert at the caret', () => {
    expect(diff('aa', 'aaa', { from: 1, to: 1, caret: true })).toEqual({ from: 0, removed: 0, inserted: 'a' });
    expect(diff('aa', 'aaa', { from: 3, to: 3, caret: true })).toEqual({ from: 2, removed: 0, inserted: 'a' });
    expect(diff('abc', 'ac', { from: 1, to: 1, caret: true })).toEqual({ from: 1, removed: 1, inserted: '' });
  });
});
