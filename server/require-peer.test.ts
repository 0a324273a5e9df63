import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requirePeer } from './require-peer.ts';

describe('requirePeer: an adapter imported without its driver', () => {
  it('names the package to install', () => {
    expect(() => requirePeer('weft-test-no-such-driver', 'weft/server/example')).toThrow(
      'weft: weft/server/example needs the package "weft-test-no-such-driver", an optional peer dependency of weft. Install it in your app: npm install weft-test-no-such-driver',
    );
  });

  it('loads a driver that is installed', () => {
    const driver = requirePeer<{ prototype: unknown }>('better-sqlite3', 'weft/server/sqlite');
    expect(typeof driver).toBe('function');
  });

  it('passes on any other failure of the driver as it is', () => {
    // A driver that is there but whose own dependency is missing is not "install the driver".
    const dir = mkdtempSync(path.join(tmpdir(), 'weft-peer-'));
    try {
      const driver = path.join(dir, 'driver.cjs');
      writeFileSync(driver, "require('weft-test-missing-transitive');\n");
      expect(() => requirePeer(driver, 'weft/server/example')).toThrow(
        /Cannot find module 'weft-test-missing-transitive'/u,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
