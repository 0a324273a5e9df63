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
