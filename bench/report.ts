/** A benchmark row: a figure, the floor it is compared with in the same run, and the target. */
export interface BenchRow {
  readonly what: string;
  readonly value: number;
  readonly unit: string;
  readonly floor?: { readonly what: string; readonly value: number };
  /** The target as text, and whether the measured figure meets it. */
  readonly target?: { readonly text: string; readonly met: boolean };
  /** The spread of the samples behind `value`, as text (p50/p99/max, or min–max over runs). */
  readonly spread?: string;
}

export function printTable(title: string, rows: ReadonlyArray<BenchRow>): string {
  const spread = rows.some((row) => row.spread !== undefined);
  const header = ['what', 'measured', ...(spread ? ['spread'] : []), 'floor (same run)', 'ratio', 'target', 'met'];
  const lines = rows.map((row) => [
    row.what,
    `${format(row.value)} ${row.unit}`,
    ...(spread ? [row.spread ?? ''] : []),
    row.floor ? `${format(row.floor.value)} ${row.unit} (${row.floor.what})` : '',
    row.floor ? `${(row.value / row.floor.value).toFixed(2)}×` : '',
    row.target?.text ?? '',
    row.target ? (row.target.met ? 'yes' : 'NO') : '',
  ]);
  const table = [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
  const text = `\n## ${title}\n\n${table}\n`;
  console.log(text);
  return text;
}

function format(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(n >= 10 ? 1 : 3);
}

export function progress(label: string, done: number, total: number): void {
  if (done === total || done % Math.max(1, Math.floor(total / 10)) === 0) {
    console.log(`bench: ${label} ${done}/${total}`);
  }
}

/** The median, min and max of some figures (one per run, or samples of one run). */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function summary(values: ReadonlyArray<number>): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** The `q` quantile of `values` (nearest rank). */
export function quantile(values: ReadonlyArray<number>, q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** "median of 3 runs; min … – max …", the spread text of a figure repeated over runs. */
export function runsSpread(s: Summary, extra = ''): string {
  return `median of ${s.n} runs; min ${format(s.min)} – max ${format(s.max)}${extra ? `; ${extra}` : ''}`;
}

export { format };

/** What the run ran on, filled by the sections (browser, database versions) and printed with the tables. */
export const environment = new Map<string, string>();
