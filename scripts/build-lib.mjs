#!/usr/bin/env node
// `npm run build`: the package as apps install it. ESM bundles of every public entry
// (vite.lib.config.ts, into dist/lib) and their declarations (tsc -p tsconfig.build.json, into
// dist/types), whose relative imports are rewritten from `.ts` to `.js` so they resolve under
// every `moduleResolution` an app may use (node16, nodenext, bundler).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
process.chdir(root);

step('bundling the entries (vite)', 'npx', ['vite', 'build', '-c', 'vite.lib.config.ts']);
rmSync('dist/types', { recursive: true, force: true });
step('emitting declarations (tsc)', 'npx', ['tsc', '-p', 'tsconfig.build.json']);
let rewritten = 0;
for (const file of walk('dist/types')) {
  if (!file.endsWith('.d.ts')) continue;
  const text = readFileSync(file, 'utf8');
  const next = text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]*?)\.tsx?\2/g, '$1$2$3.js$2');
  if (next !== text) {
    writeFileSync(file, next);
    rewritten++;
  }
}
console.log(`weft build: rewrote the relative imports of ${rewritten} declaration files; done`);

function step(what, command, args) {
  console.log(`weft build: ${what} ...`);
  const child = spawnSync(command, args, { stdio: 'inherit' });
  if (child.status !== 0) {
    console.error(`weft build: ${what} failed`);
    process.exit(1);
  }
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* walk(full);
    else yield full;
  }
}
