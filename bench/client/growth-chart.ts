/** One cell of the growth bench: a stored size and a pending count, and what was measured there. */
export interface GrowthPoint {
  readonly size: number;
  readonly pending: number;
  readonly appliedP50: number;
  readonly appliedP99: number;
  readonly durableP50: number;
  readonly durableP99: number;
  readonly reopen: number;
  readonly reopenMin: number;
  readonly reopenMax: number;
  /** Reopen → the first screen (50 rows of one column in rank order): median, min, max. */
  readonly screen: number;
  readonly screenMin: number;
  readonly screenMax: number;
  readonly rebase: number;
  readonly longTasks: number;
}

const WIDTH = 960;
const HEIGHT = 640;
const COLORS = ['#1b6ac9', '#e07b00', '#2a9d55', '#c62d42'];

/**
 * The growth chart as a self-contained SVG: four log–log panels (execute → applied p50,
 * execute → durable p50, rebase, reopen) against stored events, one line per pending count.
 * Hand-made so the bench needs no charting dependency.
 */
export function growthSvg(
  points: ReadonlyArray<GrowthPoint>,
  note: { samples: number; reopens: number; incoming: number; runs: number },
): string {
  const panels: Array<{ title: string; value: (p: GrowthPoint) => number }> = [
    { title: 'execute → applied, p50 (ms)', value: (p) => p.appliedP50 },
    { title: 'execute → durable, p50 (ms)', value: (p) => p.durableP50 },
    { title: `rebase over ${note.incoming.toLocaleString('en-US')} incoming events (ms)`, value: (p) => p.rebase },
    { title: 'reopen → first query (ms)', value: (p) => p.reopen },
  ];
  const pendings = [...new Set(points.map((p) => p.pending))].sort((a, b) => a - b);
  const sizes = [...new Set(points.map((p) => p.size))].sort((a, b) => a - b);
  const parts: string[] = [];
  const panelW = WIDTH / 2;
  const panelH = (HEIGHT - 70) / 2;
  panels.forEach((panel, i) => {
    const x0 = (i % 2) * panelW;
    const y0 = 48 + Math.floor(i / 2) * panelH;
    parts.push(drawPanel(panel, points, pendings, sizes, x0, y0, panelW, panelH));
  });
  const legend = pendings
    .map(
      (pending, i) =>
        `<g transform="translate(${330 + i * 150},${HEIGHT - 18})"><line x1="0" y1="-4" x2="24" y2="-4" stroke="${COLORS[i % COLORS.length]}" stroke-width="2.5"/><text x="30" y="0">${pending} pending</text></g>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, sans-serif" font-size="12" role="img">
<title>weft client growth: execute, durable, rebase and reopen times against stored events and pending commands</title>
<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>
<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="16" font-weight="600">weft client: growth with stored events and pending commands (log–log)</text>
<text x="${WIDTH / 2}" y="38" text-anchor="middle" fill="#555">execute: ${note.samples} sequential addCard per point (p50); reopen: median of ${note.reopens}; rebase: median of ${note.runs} runs; headless Chromium, IndexedDB</text>
${parts.join('\n')}
<text x="16" y="${HEIGHT - 18}" fill="#555">x: stored events</text>
${legend}
</svg>
`;
}

function drawPanel(
  panel: { title: string; value: (p: GrowthPoint) => number },
  points: ReadonlyArray<GrowthPoint>,
  pendings: number[],
  sizes: number[],
  x0: number,
  y0: number,
  w: number,
  h: number,
): string {
  const left = x0 + 60;
  const right = x0 + w - 20;
  const top = y0 + 26;
  const bottom = y0 + h - 30;
  const values = points.map(panel.value).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.floor(Math.log10(Math.min(...values, 1)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values, 1))));
  const xMin = Math.log10(sizes[0] ?? 1000);
  const xMax = Math.max(xMin + 1, Math.log10(sizes.at(-1) ?? 1_000_000));
  const x = (size: number) => left + ((Math.log10(size) - xMin) / (xMax - xMin)) * (right - left);
  const y = (v: number) => bottom - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * (bottom - top);
  const out: string[] = [
    `<text x="${x0 + w / 2}" y="${y0 + 14}" text-anchor="middle" font-weight="600">${escapeXml(panel.title)}</text>`,
  ];
  out.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#999"/>`);
  for (let d = lo; d <= hi; d++) {
    const yy = y(10 ** d);
    out.push(`<line x1="${left}" y1="${yy}" x2="${right}" y2="${yy}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${yy + 4}" text-anchor="end">${label(10 ** d)}</text>`);
  }
  for (const size of sizes) {
    const xx = x(size);
    out.push(`<line x1="${xx}" y1="${top}" x2="${xx}" y2="${bottom}" stroke="#eee"/>`);
    out.push(`<text x="${xx}" y="${bottom + 16}" text-anchor="middle">${compact(size)}</text>`);
  }
  pendings.forEach((pending, i) => {
    const color = COLORS[i % COLORS.length];
    const line = points
      .filter((p) => p.pending === pending)
      .sort((a, b) => a.size - b.size)
      .map((p) => [x(p.size), y(panel.value(p))] as const);
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2.5" points="${line.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`,
    );
    for (const [a, b] of line) out.push(`<circle cx="${a.toFixed(1)}" cy="${b.toFixed(1)}" r="3" fill="${color}"/>`);
  });
  return out.join('\n');
}

function label(v: number): string {
  return v >= 1 ? v.toLocaleString('en-US') : String(v);
}

function compact(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n);
}

function escapeXml(text: string): string {
  return text.replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;');
}
