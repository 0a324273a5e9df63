import { WeftError } from './errors.ts';

export interface JsonLimits {
  /** Deepest nesting of arrays and objects accepted. */
  readonly maxDepth: number;
}

/**
 * Parses untrusted JSON text after a linear pre-scan that refuses nesting deeper than
 * `maxDepth` and `__proto__` keys, so hostile input is turned away before the parser builds
 * anything from it. A key is compared as decoded, so `"\u005f_proto__"` is the same key; a
 * string value `"__proto__"` is plain data and passes. Throws `WeftError('bad_request')`.
 */
export function parseJsonLimited(text: string, limits: JsonLimits): unknown {
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) {
        inString = false;
        if (isProtoKey(text, start, i)) throw new WeftError('bad_request', 'the key "__proto__" is not allowed');
      }
      continue;
    }
    if (ch === 34) {
      inString = true;
      start = i;
    } else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      if (++depth > limits.maxDepth) {
        throw new WeftError('bad_request', `JSON is nested deeper than ${limits.maxDepth} levels`);
      }
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) {
      depth--;
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WeftError('bad_request', `malformed JSON: ${(error as Error).message}`);
  }
}

const PROTO = '__proto__';
/** The longest spelling of `__proto__` in JSON: every character as a `\uXXXX` escape. */
const MAX_PROTO_SPELLING = PROTO.length * 6;

/** Whether the string between the quotes at `open` and `close` is an object key that decodes to `__proto__`. */
function isProtoKey(text: string, open: number, close: number): boolean {
  const length = close - open - 1;
  if (length < PROTO.length || length > MAX_PROTO_SPELLING) return false;
  let next = close + 1;
  while (next < text.length && /\s/u.test(text[next] as string)) next++;
  if (text.charCodeAt(next) !== 58 /* : */) return false;
  const raw = text.slice(open, close + 1);
  if (raw === `"${PROTO}"`) return true;
  if (!raw.includes('\\')) return false;
  try {
    return JSON.parse(raw) === PROTO;
  } catch {
    return false;
  }
}
