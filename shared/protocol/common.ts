import * as v from 'valibot';

/** Ids are opaque strings chosen by clients: bounded, printable, no separators that break URLs. */
export const IdSchema = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(128),
  v.regex(/^[\w.:@-]+$/u, 'must be letters, digits or ._:@-'),
);
export const ScopeSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(256));
export const SeqSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
export const TimestampSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
