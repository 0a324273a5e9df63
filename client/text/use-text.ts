import { useEffect, useRef } from 'react';
import { bindTextarea, type TextBindingOptions, type TextSource } from './textarea-binding.ts';

/**
 * Binds the `<textarea>` that gets the returned ref to a text source for as long as the
 * component is mounted, and binds it anew when a value in `deps` changes (another client or
 * note). The textarea is left uncontrolled: the binding, not React, writes its value, so the
 * caret never jumps.
 *
 * @example
 * const ref = useTextarea(() => clientTextSource(weft, { query, field: 'body', command }), [weft, noteId]);
 * return <textarea ref={ref} aria-label="Body" />;
 */
export function useTextarea(
  makeSource: () => TextSource,
  deps: ReadonlyArray<unknown>,
  options?: TextBindingOptions,
): React.RefObject<HTMLTextAreaElement | null> {
  const ref = useRef<HTMLTextAreaElement | null>(null);
  const make = useRef(makeSource);
  make.current = makeSource;
  const bind = () => {
    const textarea = ref.current;
    if (!textarea) return;
    const binding = bindTextarea(textarea, make.current(), options);
    return () => binding.destroy();
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: rebinds only when the caller's deps change
  useEffect(bind, deps);
  return ref;
}
