import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BIN = process.env.WEFT_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  /** A `postgres://` URL of a fresh database on the throwaway server. */
  readonly url: string;
  /** Another fresh database on the same server. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL 15 on a free loopback port, in a temp folder owned by `postgres` (initdb
 * refuses to run as root): trust auth, gone after `stop`. Tests run it with `fsync=off` (pass
 * `fsync: true` for PostgreSQL's durable default, as the bench does). Start one per test
 * file in `beforeAll` and stop it in `afterAll`.
 */
export async function startPostgres(options: { database?: string; fsync?: boolean } = {}): Promise<TestPostgres> {
  const database = options.database ?? 'weft';
  for (const tool of ['initdb', 'pg_ctl']) {
    if (!existsSync(path.join(BIN, tool))) {
      throw new Error(
        `PostgreSQL 15 is not installed (no ${path.join(BIN, tool)}): run apt-get install -y postgresql (npm test does so as root)`,
      );
    }
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(dir, 0o755);
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]) => {
    const [cmd, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', path.join(BIN, tool), ...args]]
      : [path.join(BIN, tool), args];
    const result = spawnSync(cmd as string, argv as string[], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr || result.stdout}`);
  };
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    path.join(dir, 'log'),
    '-o',
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=${options.fsync ? 'on' : 'off'} -c max_connections=200`,
    '-w',
    'start',
  ]);
  const base = `postgres://postgres@127.0.0.1:${port}`;
  const createDatabase = async (name: string) => {
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: `${base}/postgres` });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name.replace(/"/gu, '')}"`);
    } finally {
      await client.end();
    }
    return `${base}/${name}`;
  };
  const url = await createDatabase(database);
  let stopped = false;
  return {
    url,
    createDatabase,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
