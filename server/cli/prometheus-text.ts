/**
 * Reads the Prometheus text format as `GET /metrics` writes it: one sample per line,
 * `name{label="value",…} number`, `#` lines skipped. Enough for weft's own series; not a
 * general parser (no timestamps, no escaped quotes inside label values beyond `\"`).
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/u;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/gu;

export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) {
      if (key !== undefined) labels[key] = (value ?? '').replace(/\\(.)/gu, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const value = Number(match[3]);
    if (match[1] !== undefined && !Number.isNaN(value)) samples.push({ name: match[1], labels, value });
  }
  return samples;
}

/** The sum of `name`'s samples whose labels match `where`. */
export function total(samples: ReadonlyArray<Sample>, name: string, where: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

/** `name`'s samples by the value of `label`. */
export function byLabel(samples: ReadonlyArray<Sample>, name: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    const key = s.labels[label];
    if (s.name === name && key !== undefined) out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}
