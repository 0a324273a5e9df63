/**
 * A JSON text that is the same for equal values whatever their key order, so that two runs of
 * a command (client and server) can be compared by digest, and a resent command by its args.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

/**
 * A short, stable fingerprint of a list of events (type and data only), as sent by the client
 * with a command and recomputed by the server for the audit. Not a security hash: it only has
 * to tell two honest runs apart. 53-bit cyrb53 over the canonical JSON, in hex.
 */
export function digestEvents(events: ReadonlyArray<{ readonly type: string; readonly data: unknown }>): string {
  const text = canonicalJson(events.map(({ type, data }) => ({ type, data })));
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}
