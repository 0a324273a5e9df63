import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { benchBundle } from './bundle.ts';
import { benchClient } from './client/browser.ts';
import { benchLive } from './live.ts';
import { benchPostgres } from './postgres.ts';
import { benchQueries } from './queries.ts';
import { environment } from './report.ts';
import { benchServerPush } from './server-push.ts';
import { benchText } from './text.ts';

/**
 * `npm run bench`: every benchmark, each beside its floor measured in the same run, every figure
 * repeated (`--runs`, default 3) and reported as the median with its range. The full run writes
 * BENCHMARKS.md; `npm run bench -- --only growth` (or `bundle,server,live,queries,client,growth,postgres,text`,
 * comma separated) runs some parts and only prints their tables (growth also writes docs/growth.svg).
 */
const PARTS = ['bundle', 'server', 'live', 'queries', 'client', 'growth', 'postgres', 'text'] as const;
type Part = (typeof PARTS)[number];

const { values } = parseArgs({ options: { only: { type: 'string' }, runs: { type: 'string', default: '3' } } });
const only = values.only?.split(',').map((part) => part.trim());
const unknown = only?.filter((part) => !PARTS.includes(part as Part)) ?? [];
if (unknown.length > 0) throw new Error(`bench: unknown part ${unknown.join(', ')}; the parts are ${PARTS.join(', ')}`);
const wanted = (part: Part) => !only || only.includes(part);
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('bench: --runs takes a whole number ≥ 1');

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const sections: string[] = [];
if (wanted('bundle')) {
  sections.push(await benchBundle());
  console.log(`bench: [${elapsed()}] bundle done`);
}
if (wanted('server')) {
  console.log('bench: server push (SQLite) and the Hono hello-world floor ...');
  sections.push(await benchServerPush(runs));
  console.log(`bench: [${elapsed()}] server done`);
}
if (wanted('live')) {
  console.log('bench: live stream, commit → subscriber (1 / 100 / 1,000) and the SSE echo floor ...');
  sections.push(await benchLive(runs));
  console.log(`bench: [${elapsed()}] live done`);
}
if (wanted('queries')) {
  console.log('bench: queries: ctx.last, live query by diff, push into a full column ...');
  sections.push(await benchQueries(runs));
  console.log(`bench: [${elapsed()}] queries done`);
}
if (wanted('client') || wanted('growth')) {
  console.log('bench: client (headless Chromium) ...');
  sections.push(...(await benchClient({ client: wanted('client'), growth: wanted('growth'), runs })));
  console.log(`bench: [${elapsed()}] client done`);
}
if (wanted('text')) {
  console.log('bench: collaborative text (merge, open, binding, storage) ...');
  sections.push(await benchText(runs));
  console.log(`bench: [${elapsed()}] text done`);
}
if (wanted('postgres')) {
  console.log('bench: server push (PostgreSQL, one and two nodes) ...');
  sections.push(await benchPostgres(runs));
  console.log(`bench: [${elapsed()}] postgres done`);
}

const cpus = os.cpus();
const machine = [
  `CPU: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores`,
  `RAM: ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
  `OS: ${os.type()} ${os.release()}`,
  `Node ${process.version}`,
  ...[...environment].map(([name, version]) => `${name} ${version}`),
].join('; ');
if (only) {
  console.log(`bench: ${machine}. Took ${elapsed()}. BENCHMARKS.md is written by the full run only.`);
} else {
  const analysis = readFileSync(new URL('./analysis.md', import.meta.url), 'utf8');
  const text = `# weft benchmarks\n\nMachine: ${machine}.\nRun: ${new Date().toISOString()}, ${runs} runs of every figure, took ${elapsed()}. Written by \`npm run bench\`.\n${sections.join('\n')}\n${analysis}`;
  writeFileSync('BENCHMARKS.md', text);
  console.log(`bench: wrote BENCHMARKS.md (${elapsed()})`);
}
