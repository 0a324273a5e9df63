import {
  applyTextOps,
  applyTextOpsIfChanged,
  mapCaret,
  spansIn,
  stampTextEdit,
  TEXT_LIMITS,
  type TextEdit,
  type TextOp,
  type TextValue,
  textEditAt,
  textString,
} from '../../shared/index.ts';

/** Where a bound textarea reads its text and sends its edits (see `clientTextSource`). */
export interface TextSource {
  /** Calls `listener` with the field's current value, then after each change; returns the unsubscribe. */
  subscribe(listener: (value: TextValue) => void): () => void;
  /**
   * Runs `edit` as a command now. Returns its id (the ids of what it inserts derive from it)
   * and its `confirmed` promise, or `null` when it was refused locally.
   */
  commit(edit: TextEdit): { readonly id: string; readonly confirmed: Promise<unknown> } | null;
}

/**
 * Most characters one command inserts: a larger paste travels as several commands, each well
 * under the server's event size limit (64 KiB) even if every character needs a `\uXXXX` escape.
 */
const MAX_COMMAND_CHARS = 4_000;

export interface TextBindingOptions {
  /** A burst ends after this long without typing (default 250 ms). */
  readonly idleMs?: number;
  /** …or once it is this old (default 1,000 ms), so a fast typist's text still travels. */
  readonly maxBurstMs?: number;
  /** …or once it inserted this many characters (default 512). */
  readonly maxChars?: number;
  /** The timer functions (injected by tests); default the globals. */
  readonly setTimeout?: (run: () => void, ms: number) => unknown;
  readonly clearTimeout?: (handle: unknown) => void;
}

export interface TextBinding {
  /** Sends the burst typed so far now. */
  flush(): void;
  /** Flushes, then stops listening to the textarea and the source. */
  destroy(): void;
}

/**
 * Binds a `<textarea>` to a text field, framework-free.
 *
 * Typing is coalesced: the textarea changes at once (the browser does it), and the burst
 * becomes one command when the user pauses, the burst gets old or large, the caret jumps to
 * another place, the field loses focus, or a remote change arrives. Each command is an
 * ID-anchored edit computed against what this textarea showed.
 *
 * Remote changes are merged without moving the caret or the selection: each end stays beside
 * the character it was beside (`mapCaret`). During IME composition nothing is touched; the
 * latest remote value is applied after `compositionend`.
 *
 * Invariant: when no burst is open, `textarea.value === textString(local)`, where `local` is
 * the source's last value with this binding's own edits that it does not yet show applied on
 * top (applying an op twice changes nothing, so those are simply re-applied until they show).
 *
 * @example
 * const binding = bindTextarea(el, clientTextSource(weft, {
 *   query: { table: 'notes', where: { noteId } }, field: 'body',
 *   command: (edit) => ['editNote', { noteId, edit }],
 * }));
 */
export function bindTextarea(
  textarea: HTMLTextAreaElement,
  source: TextSource,
  options: TextBindingOptions = {},
): TextBinding {
  const idleMs = options.idleMs ?? 250;
  const maxBurstMs = options.maxBurstMs ?? 1_000;
  const maxChars = options.maxChars ?? 512;
  const setTimer = options.setTimeout ?? ((run: () => void, ms: number) => globalThis.setTimeout(run, ms));
  const clearTimer =
    options.clearTimeout ?? ((handle: unknown) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>));

  let base: TextValue = { runs: [] };
  let local: TextValue = base;
  let inflight: Array<{ readonly id: string; readonly ops: TextOp[] }> = [];
  /** The textarea's value when the burst began (`textString(local)`), and the value at the last input. */
  let shown = '';
  let lastValue = '';
  let burst: { from: number; to: number; chars: number } | null = null;
  let idleTimer: unknown = null;
  let ageTimer: unknown = null;
  let composing = false;
  let remote: TextValue | null = null;

  const render = (next: TextValue): void => {
    const value = textString(next);
    if (value !== textarea.value) {
      const { selectionStart, selectionEnd, selectionDirection } = textarea;
      const start = mapCaret(local, next, selectionStart);
      const end = mapCaret(local, next, selectionEnd);
      textarea.value = value;
      textarea.setSelectionRange(start, Math.max(start, end), selectionDirection ?? 'none');
    }
    local = next;
    shown = value;
    lastValue = value;
  };

  /** `local` from scratch: the source's value, then this binding's edits it does not show yet. */
  const rebuild = (): TextValue => {
    let next = base;
    inflight = inflight.filter(({ ops }) => {
      const applied = applyTextOpsIfChanged(next, ops);
      if (applied === null) return false; // the source shows it: done with it
      next = applied;
      return true;
    });
    return next;
  };

  const stopTimers = (): void => {
    if (idleTimer !== null) clearTimer(idleTimer);
    if (ageTimer !== null) clearTimer(ageTimer);
    idleTimer = ageTimer = null;
  };

  /** Runs one edit as a command and shows it applied; false when it was refused locally. */
  const commitEdit = (edit: TextEdit): boolean => {
    const sent = source.commit(edit);
    if (sent === null) return false;
    const ops = stampTextEdit(sent.id, edit);
    inflight.push({ id: sent.id, ops });
    sent.confirmed.catch(() => {
      // Rejected by the server: stop re-applying it; the source no longer has it either.
      inflight = inflight.filter((entry) => entry.id !== sent.id);
      if (!composing && burst === null) render(rebuild());
    });
    local = applyTextOps(local, ops);
    return true;
  };

  /** Sends `shown → upTo` as one command, or several when a paste is larger than one may carry. */
  const send = (upTo: string, hint: { from: number; to: number } | null): void => {
    stopTimers();
    burst = null;
    if (upTo === shown) return;
    const { from, removed, inserted } = diff(shown, upTo, hint);
    let left = removed;
    let ok = true;
    for (let spans = spansIn(local, from, from + left); ok && spans.length > TEXT_LIMITS.deleteSpans; ) {
      const chunk = spans.slice(0, TEXT_LIMITS.deleteSpans); // a delete of a very fragmented range
      ok = commitEdit([{ delete: chunk }]);
      left -= chunk.reduce((n, span) => n + span[2], 0);
      spans = spansIn(local, from, from + left);
    }
    ok &&= commitEdit(textEditAt(local, from, from + left, inserted.slice(0, MAX_COMMAND_CHARS)));
    for (let at = MAX_COMMAND_CHARS; ok && at < inserted.length; at += MAX_COMMAND_CHARS) {
      ok = commitEdit(textEditAt(local, from + at, from + at, inserted.slice(at, at + MAX_COMMAND_CHARS)));
    }
    shown = textString(local);
    // Refused locally (what was typed cannot be kept), or never expected: show the document.
    if (!ok || shown !== upTo) render(local);
  };

  const flush = (): void => {
    if (composing) return;
    if (burst !== null || textarea.value !== shown) send(textarea.value, burst);
    lastValue = textarea.value;
    if (remote !== null) {
      base = remote;
      remote = null;
      render(rebuild());
    }
  };

  const onInput = (): void => {
    const value = textarea.value;
    const change = diff(lastValue, value, { from: textarea.selectionEnd, to: textarea.selectionEnd, caret: true });
    const end = change.from + change.inserted.length;
    if (burst !== null && (change.from > burst.to || change.from + change.removed < burst.from)) {
      send(lastValue, burst); // the caret jumped: the burst so far is one edit, this starts another
    }
    if (burst === null) {
      burst = { from: change.from, to: end, chars: 0 };
      ageTimer = setTimer(flush, maxBurstMs);
    } else {
      burst.from = Math.min(burst.from, change.from);
      burst.to = Math.max(end, burst.to + change.inserted.length - change.removed);
    }
    burst.chars += change.inserted.length;
    lastValue = value;
    if (idleTimer !== null) clearTimer(idleTimer);
    idleTimer = setTimer(flush, idleMs);
    if (burst.chars >= maxChars && !composing) flush();
  };

  const onCompositionStart = (): void => {
    composing = true;
  };
  const onCompositionEnd = (): void => {
    composing = false;
    flush();
  };
  const onBlur = (): void => flush();

  textarea.value = ''; // the source's first value fills it
  textarea.addEventListener('input', onInput);
  textarea.addEventListener('compositionstart', onCompositionStart);
  textarea.addEventListener('compositionend', onCompositionEnd);
  textarea.addEventListener('blur', onBlur);
  const unsubscribe = source.subscribe((value) => {
    remote = value;
    flush(); // sends an open burst first, then applies `remote` (deferred while composing)
  });

  return {
    flush,
    destroy() {
      flush();
      stopTimers();
      unsubscribe();
      textarea.removeEventListener('input', onInput);
      textarea.removeEventListener('compositionstart', onCompositionStart);
      textarea.removeEventListener('compositionend', onCompositionEnd);
      textarea.removeEventListener('blur', onBlur);
    },
  };
}

/**
 * The one change from `before` to `after`: `removed` characters at `from` replaced by
 * `inserted`. Equal characters around the change are ambiguous ("aa" → "aaa"); `hint` resolves
 * them: the change lies within `[hint.from, hint.to]` of `after` (with `caret`, it ends at it).
 */
export function diff(
  before: string,
  after: string,
  hint: { readonly from: number; readonly to: number; readonly caret?: boolean } | null,
): { from: number; removed: number; inserted: string } {
  const grow = after.length - before.length;
  let prefix = 0;
  const maxPrefix = Math.min(
    before.length,
    after.length,
    hint ? (hint.caret ? hint.to - Math.max(grow, 0) : hint.from) : Infinity,
  );
  while (prefix < maxPrefix && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  const maxSuffix = Math.min(before.length - prefix, after.length - prefix, hint ? after.length - hint.to : Infinity);
  while (
    suffix < maxSuffix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  )
    suffix++;
  return {
    from: prefix,
    removed: before.length - prefix - suffix,
    inserted: after.slice(prefix, after.length - suffix),
  };
}
