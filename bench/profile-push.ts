import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { measurePush } from './server-push.ts';

/**
 * The server-push bench's load, one shape, for a profiler:
 * `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-push.ts own-boards`.
 * Prints commands/s and µs of CPU a command for each of `--repeat` runs.
 */
const shape = process.argv[2] === 'all-scopes' ? 'all-scopes' : 'own-boards';
const repeat = Number(process.argv[3] ?? 1);
const dir = mkdtempSync(path.join(tmpdir(), 'weft-profile-'));
try {
  for (let r = 0; r < repeat; r++) {
    const { rate, cpuMicros } = await measurePush(path.join(dir, `push-${r}.db`), shape);
    console.log(`${shape}: ${Math.round(rate)} commands/s, ${cpuMicros.toFixed(0)} µs of CPU a command`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
