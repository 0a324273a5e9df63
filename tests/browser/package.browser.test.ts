import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.ts';

/**
 * weft as an outside app meets it (issue 14): `npm pack`, the tarball installed into a copy of
 * examples/notes, type-checked under the app's strict tsconfig (skipLibCheck off,
 * erasableSyntaxOnly, exactOptionalPropertyTypes), built with Vite, served by `node server.mjs`
 * with plain Node, and used in two Chromium profiles. A second, browser-only app installs only
 * the tarball and must get no native build and no server driver.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const temp = mkdtempSync(path.join(tmpdir(), 'weft-package-'));
const app = path.join(temp, 'notes');
let tarball = '';
let server: ChildProcess | null = null;
let url = '';
const contexts: BrowserContext[] = [];

function run(what: string, command: string, args: string[], cwd: string): string {
  const started = performance.now();
  console.log(`package test: ${what} ...`);
  const child = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_yes: 'true' } });
  const output = `${child.stdout}\n${child.stderr}`;
  if (child.status !== 0) throw new Error(`${what} failed (exit ${child.status}):\n${output.slice(-6000)}`);
  console.log(`package test: ${what} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return output;
}

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const stat = statSync(full, { throwIfNoEntry: false });
    if (stat?.isDirectory()) yield* files(full);
    else if (stat) yield full;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const gzipKb = (file: string) => gzipSync(readFileSync(file)).length / 1024;

beforeAll(async () => {
  const packed = run('npm pack', 'npm', ['pack', '--silent', '--pack-destination', temp], ROOT);
  const name = packed
    .trim()
    .split('\n')
    .find((line) => line.endsWith('.tgz'));
  if (!name) throw new Error(`npm pack printed no tarball name:\n${packed}`);
  tarball = path.join(temp, path.basename(name.trim()));

  cpSync(path.join(ROOT, 'examples/notes'), app, {
    recursive: true,
    filter: (source) => !/node_modules|[/\\]dist$|[/\\]data$/u.test(source),
  });
  const manifest = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8'));
  manifest.dependencies.weft = `file:${tarball}`;
  // The example's own server driver, already compiled for this Node by the repo's install: a
  // link instead of a second 90-second native build. weft itself comes from the tarball.
  manifest.dependencies['better-sqlite3'] = `file:${path.join(ROOT, 'node_modules/better-sqlite3')}`;
  writeFileSync(path.join(app, 'package.json'), JSON.stringify(manifest, null, 2));
  // --ignore-scripts: npm would otherwise run the linked driver's install script and rebuild the
  // repo's own copy; nothing else the example installs needs a script.
  run(
    'npm install (the example app, from the tarball)',
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'],
    app,
  );
}, 900_000);

afterAll(async () => {
  await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
  server?.kill('SIGTERM');
  rmSync(temp, { recursive: true, force: true });
});

describe('weft installed from its tarball into an app of its own', () => {
  it('ships only the build: no sources, tests, demo or pictures', () => {
    const listing = run('tar tzf', 'tar', ['tzf', tarball], temp).split('\n').filter(Boolean);
    const shipped = listing.map((line) => line.replace(/^package\//u, ''));
    expect(shipped).toContain('dist/lib/client/index.js');
    expect(shipped).toContain('dist/types/client/index.d.ts');
    expect(shipped).toContain('LICENSE');
    const strays = shipped.filter(
      (file) =>
        /\.(png|svg)$|(^|\/)(tests?|demo|bench|examples)\//u.test(file) ||
        (/\.ts$/u.test(file) && !file.endsWith('.d.ts')),
    );
    expect(strays).toEqual([]);
  });

  it('type-checks under the app tsconfig: strict, skipLibCheck off, erasableSyntaxOnly, no @types added', () => {
    const output = spawnSync('npx', ['tsc', '--noEmit', '-p', '.'], { cwd: app, encoding: 'utf8' });
    expect(`${output.stdout}${output.stderr}`.trim()).toBe('');
    expect(output.status).toBe(0);
  });

  it('type-checks the server and testing entries too, with no @types of their drivers', () => {
    const probe = path.join(app, 'server-probe.ts');
    writeFileSync(
      probe,
      [
        "import { bearerAuth, createServer, type EventStore } from 'weft/server';",
        "import { postgresStore } from 'weft/server/postgres';",
        "import { sqliteStore } from 'weft/server/sqlite';",
        "import { Engine, memoryStorage, MemoryTransport } from 'weft/testing';",
        "import { notes } from './src/app.js';",
        "const store: EventStore = sqliteStore({ file: ':memory:' });",
        'const auth = bearerAuth({ verify: (token) => ({ userId: token }) });',
        'export const server = createServer({ app: notes, store, auth });',
        "export const other = postgresStore({ connectionString: 'postgres://localhost/x' });",
        'export const parts = [Engine, memoryStorage, MemoryTransport];',
      ].join('\n'),
    );
    writeFileSync(
      path.join(app, 'tsconfig.server.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: { lib: ['ES2023', 'DOM'] },
        include: ['server-probe.ts'],
      }),
    );
    try {
      const output = spawnSync('npx', ['tsc', '--noEmit', '-p', 'tsconfig.server.json'], {
        cwd: app,
        encoding: 'utf8',
      });
      expect(`${output.stdout}${output.stderr}`.trim()).toBe('');
      expect(output.status).toBe(0);
    } finally {
      rmSync(probe);
    }
  });

  it('reports a wrong command name or argument as a type error', () => {
    const probe = path.join(app, 'src/wrong.ts');
    writeFileSync(
      probe,
      [
        "import type { WeftClient } from 'weft/client';",
        "import type { notes } from './app.js';",
        'export function wrong(weft: WeftClient<typeof notes>) {',
        "  weft.execute('addNotes', { book: 'b', noteId: 'n', text: 't' });",
        "  weft.execute('addNote', { book: 'b', noteId: 'n', txt: 't' });",
        '}',
      ].join('\n'),
    );
    try {
      const output = spawnSync('npx', ['tsc', '--noEmit', '-p', '.'], { cwd: app, encoding: 'utf8' });
      const text = `${output.stdout}${output.stderr}`;
      expect(output.status).not.toBe(0);
      expect(text).toMatch(/wrong\.ts\(4,\d+\).*'"addNotes"'/u);
      expect(text).toMatch(/wrong\.ts\(5,\d+\).*txt/u);
    } finally {
      rmSync(probe);
    }
  });

  it('builds with Vite: the page chunk carries no Dexie or IndexedDB code, the worker chunk does', () => {
    run('vite build (the example app)', 'npx', ['vite', 'build', '--logLevel', 'warn'], app);
    const assets = path.join(app, 'dist/assets');
    const scripts = readdirSync(assets).filter((name) => name.endsWith('.js'));
    const page = scripts.filter((name) => name.startsWith('index-'));
    const worker = scripts.filter((name) => name.startsWith('worker-'));
    expect(page).toHaveLength(1);
    expect(worker).toHaveLength(1);
    const pageText = readFileSync(path.join(assets, page[0] as string), 'utf8');
    const workerText = readFileSync(path.join(assets, worker[0] as string), 'utf8');
    expect(pageText).not.toMatch(/Dexie|indexedDB/u);
    expect(workerText).toMatch(/Dexie/u);
    console.log(
      `package test: example page chunk ${gzipKb(path.join(assets, page[0] as string)).toFixed(1)} kB gzip (React included), worker chunk ${gzipKb(path.join(assets, worker[0] as string)).toFixed(1)} kB gzip`,
    );
  });

  it('runs its server with plain node, and a note survives a reload and reaches a second profile', async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, ['server.mjs'], {
      cwd: app,
      env: { ...process.env, PORT: String(port), NOTES_DB: path.join(temp, 'notes.db') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const seen = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('listening on')) resolve();
      };
      server?.stdout?.on('data', seen);
      server?.stderr?.on('data', seen);
      server?.once('exit', (code) => reject(new Error(`node server.mjs exited with ${code}:\n${log}`)));
    });

    const profile = async () => {
      const context = await chromium.launchPersistentContext(mkdtempSync(path.join(temp, 'chromium-')), {
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: [...CHROMIUM_ARGS],
      });
      contexts.push(context);
      return context;
    };
    const first = await (await profile()).newPage();
    await first.goto(`${url}/?book=b1`);
    await first.getByLabel('New note').fill('weft from a tarball');
    await first.getByRole('button', { name: 'Add note' }).click();
    await first.getByText('weft from a tarball').waitFor();
    await first.getByText('online, 0 pending').waitFor();
    await first.reload();
    await first.getByText('weft from a tarball').waitFor();

    const second = await (await profile()).newPage();
    await second.goto(`${url}/?book=b1`);
    await second.getByText('weft from a tarball').waitFor();
    expect(await second.getByRole('listitem').allTextContents()).toEqual(['weft from a tarball']);
  });
});

describe('a browser-only app that installs weft', () => {
  it('compiles nothing native, installs no server driver, tsx or react-dom, and loads weft/server without one', () => {
    const only = path.join(temp, 'browser-only');
    cpSync(path.join(ROOT, 'examples/notes/index.html'), path.join(only, 'index.html'));
    writeFileSync(
      path.join(only, 'package.json'),
      JSON.stringify({
        name: 'browser-only',
        private: true,
        type: 'module',
        dependencies: { weft: `file:${tarball}` },
      }),
    );
    const started = performance.now();
    run('npm install (a browser-only app)', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], only);
    console.log(
      `package test: browser-only install of weft took ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const modules = path.join(only, 'node_modules');
    for (const absent of ['better-sqlite3', 'pg', 'tsx', 'react-dom', 'react', '@hono/node-server', 'vite'])
      expect(existsSync(path.join(modules, absent)), absent).toBe(false);
    const native = [...files(modules)].filter((file) => file.endsWith('.node') || file.endsWith('binding.gyp'));
    expect(native).toEqual([]);

    // weft/server loads with plain node and no driver; an adapter without its driver names it.
    const load = (entry: string) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', `await import('${entry}'); console.log('loaded')`], {
        cwd: only,
        encoding: 'utf8',
      });
    expect(load('weft/server').stdout.trim()).toBe('loaded');
    const sqlite = load('weft/server/sqlite');
    expect(sqlite.status).not.toBe(0);
    expect(sqlite.stderr).toContain('weft/server/sqlite needs the package "better-sqlite3"');
    expect(sqlite.stderr).toContain('npm install better-sqlite3');
    const postgres = load('weft/server/postgres');
    expect(postgres.stderr).toContain('npm install pg');
  });
});
