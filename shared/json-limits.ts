import { WeftError } from './errors.ts';

export interface JsonLimits {
  /** Deepest nesting of arrays and objects accepted. */
  readonly maxDepth: number;
}

/**
 * Parses untrusted JSON text after a linear pre-scan that refuses nesting deeper than
 * `maxDepth` and `__proto__` keys, so hostile input is turned away before the parser builds
 * anything from it. Throws `WeftError('bad_request')`.
 */
export function parseJsonLimited(text: string, limits: JsonLimits): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inString = false;
      continue;
    }
    if (ch === 34) {
      inString = true;
      if (text.startsWith('"__proto__"', i)) {
        throw new WeftError('bad_request', 'the key "__proto__" is not allowed');
      }
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
