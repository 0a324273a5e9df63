import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FaultPoint } from '../../testing/index.ts';

const FAULT_SERVER = fileURLToPath(new URL('./fault-server.ts', import.meta.url));

export interface ServerChild {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Resolves with the signal or exit code once the process has ended. */
  readonly exited: Promise<NodeJS.Signals | number | null>;
  stop(): Promise<void>;
}

/**
 * Starts `tests/support/fault-server.ts` as its own Node process on `store` (a SQLite file or a
 * `postgres://` URL), optionally set to SIGKILL itself at `fault`. Pass `port` to restart on
 * the same address after a crash.
 */
export async function startServerChild(
  store: string,
  options: { fault?: FaultPoint; port?: number } = {},
): Promise<ServerChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', FAULT_SERVER, store, String(options.port ?? 0)], {
    env: { ...process.env, WEFT_FAULT: options.fault ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/u.exec(out);
      if (match) resolve(Number(match[1]));
    });
    void exited.then((how) => reject(new Error(`server exited before listening (${String(how)})`)));
  });
  const server: ServerChild = {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return server;
}
