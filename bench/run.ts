import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { benchClient } from './client/browser.ts';
import { benchPostgres } from './postgres.ts';
import { benchServerPush } from './server-push.ts';

/** `npm run bench`: every benchmark, each beside its floor measured in the same run. */
const sections: string[] = [];
console.log('bench: server push (SQLite) ...');
sections.push(await benchServerPush());
console.log('bench: client (headless Chromium) ...');
sections.push(await benchClient());
console.log('bench: server push (PostgreSQL, one and two nodes) ...');
sections.push(await benchPostgres());

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const analysis = readFileSync(new URL('./analysis.md', import.meta.url), 'utf8');
const text = `# weft benchmarks\n\nMachine: ${machine}. Run: ${new Date().toISOString()}.\n${sections.join('\n')}${analysis}`;
writeFileSync('BENCHMARKS.md', text);
console.log('bench: wrote BENCHMARKS.md');
