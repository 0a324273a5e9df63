#!/usr/bin/env node
// `npm test`: the whole suite. Installs what the suite needs from Debian when it runs as root,
// otherwise says exactly what to install; never skips a part silently. Ends with one line
// "tests: N passed, N failed" for CI.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { requirements } from './requirements.mjs';

const missing = requirements.filter((req) => !req.present());
if (missing.length > 0) {
  const packages = [...new Set(missing.map((req) => req.debianPackage))];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(`weft: the test suite needs ${missing.map((req) => req.what).join(' and ')}.`);
    console.error(`weft: install them with: sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`);
    process.exit(1);
  }
  console.log(
    `weft: installing ${packages.join(', ')} from Debian for the ${missing.map((req) => req.what).join(' and ')} ...`,
  );
  run('apt-get', ['update', '-q']);
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], {
    DEBIAN_FRONTEND: 'noninteractive',
  });
  const still = missing.filter((req) => !req.present());
  if (still.length > 0) {
    console.error(`weft: still missing after install: ${still.map((req) => req.what).join(', ')}`);
    process.exit(1);
  }
}

// The CLI test runs bin/weft.mjs and the package test installs the packed tarball: both use the
// build, so it is made fresh from the sources under test.
run('node', ['scripts/build-lib.mjs']);

mkdirSync('test-results', { recursive: true });
const report = 'test-results/vitest.json';
const result = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
let summary = null;
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  summary = {
    passed: json.numPassedTests,
    failed: json.numFailedTests + (json.numRuntimeErrorTestSuites ?? 0),
    skipped: json.numPendingTests + json.numTodoTests,
  };
}
if (summary) {
  if (summary.skipped > 0) console.error(`weft: ${summary.skipped} tests were skipped; the suite must not skip any.`);
  console.log(
    `tests: ${summary.passed} passed, ${summary.failed} failed${summary.skipped ? `, ${summary.skipped} skipped` : ''}`,
  );
}
const failed = result.status !== 0 || !summary || summary.failed > 0 || summary.skipped > 0 || summary.passed === 0;
process.exit(failed ? 1 : 0);

function run(command, args, env = {}) {
  const child = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (child.status !== 0) {
    console.error(`weft: ${command} ${args.join(' ')} failed`);
    process.exit(1);
  }
}
