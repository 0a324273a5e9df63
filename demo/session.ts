import type { AuditRecord } from '../shared/index.ts';
import { boardScope } from './app.ts';
import type { DemoClient } from './demo-client.ts';

/**
 * The page's session: which board (`/?board=<id>`), which user (a name kept in localStorage,
 * token `demo:<name>`), and the board's default columns when the board does not exist yet.
 */
export const DEFAULT_BOARD = 'demo';
const USER_KEY = 'weft-demo:user';
const NAME = /^[\w-]{1,64}$/u;

export interface DefaultColumn {
  readonly columnId: string;
  readonly title: string;
  readonly wipLimit?: number;
}

export const DEFAULT_COLUMNS: ReadonlyArray<DefaultColumn> = [
  { columnId: 'todo', title: 'To do' },
  { columnId: 'doing', title: 'Doing', wipLimit: 2 },
  { columnId: 'done', title: 'Done' },
];

/** The board named by `?board=`, or the default one when it is missing or not a valid id. */
export function boardIdFrom(search: string): string {
  const id = new URLSearchParams(search).get('board');
  return id !== null && NAME.test(id) ? id : DEFAULT_BOARD;
}

export function isValidName(name: string): boolean {
  return NAME.test(name);
}

/** The stored user name, or a new random one (stored at once, so every tab shares it). */
export function loadUserName(storage: Storage = localStorage): string {
  const stored = storage.getItem(USER_KEY);
  if (stored !== null && NAME.test(stored)) return stored;
  const name = `user-${crypto.randomUUID().slice(0, 6)}`;
  storage.setItem(USER_KEY, name);
  return name;
}

export function saveUserName(name: string, storage: Storage = localStorage): void {
  if (!NAME.test(name)) throw new Error(`a user name is 1–64 letters, digits, _ or -, not "${name}"`);
  storage.setItem(USER_KEY, name);
}

export const tokenFor = (name: string): string => `demo:${name}`;

/**
 * One IndexedDB database (one weft client) per user and board: a clientId belongs to the first
 * user who pushes with it, and a client's scopes are fixed when it opens, shared by its tabs.
 */
export const dbNameFor = (name: string, boardId: string): string => `weft-demo:${name}:${boardId}`;

/** Bootstrap commands that another browser may have run first; their rejection is expected. */
export function isBootstrapRace(rejection: { readonly name: string; readonly code: string }): boolean {
  return rejection.code === 'ALREADY_EXISTS' && (rejection.name === 'createBoard' || rejection.name === 'addColumn');
}

/**
 * Creates the board with its default columns unless it exists. Online, it first gives the
 * server a moment (`waitMs`) to deliver the board, so two browsers rarely both create it; when
 * they do, the later creation is rejected with ALREADY_EXISTS and both converge anyway.
 */
export async function ensureBoard(client: DemoClient, boardId: string, waitMs = 2500): Promise<void> {
  const exists = async () => (await client.query({ table: 'boards', where: { boardId } })).length > 0;
  if (await exists()) return;
  await waitForSync(client, waitMs);
  if (await exists()) return;
  const quiet = (execution: { applied: Promise<void>; durable: Promise<void>; confirmed: Promise<void> }) => {
    for (const p of [execution.durable, execution.confirmed]) p.catch(() => {});
    return execution.applied.catch(() => {});
  };
  await quiet(client.execute('createBoard', { boardId, title: boardId }));
  for (const column of DEFAULT_COLUMNS) {
    const { wipLimit, ...rest } = column;
    await quiet(client.execute('addColumn', { boardId, ...rest, ...(wipLimit === undefined ? {} : { wipLimit }) }));
  }
}

/** Resolves once the client has caught up with the server (online, not syncing), or after `ms`. */
function waitForSync(client: DemoClient, ms: number): Promise<void> {
  return new Promise((resolve) => {
    let stop: (() => void) | null = null;
    let caughtUp = false;
    const done = () => {
      clearTimeout(timer);
      stop?.();
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop = client.onStatus((status) => {
      // A first answer from the server is followed by its catch-up pull: give it a moment.
      if (!caughtUp && status.online && !status.syncing && status.pending === 0) {
        caughtUp = true;
        setTimeout(done, 300);
      }
    });
  });
}

/** The audit records of one board, as `GET /v1/audit?scope=board:<id>` answers them. */
export type AuditFetcher = (boardId: string) => Promise<AuditRecord[]>;

export function httpAuditFetcher(token: string, base = ''): AuditFetcher {
  return async (boardId) => {
    const url = `${base}/v1/audit?scope=${encodeURIComponent(boardScope(boardId))}&limit=1000`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
    if (!response.ok) {
      const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
      throw new Error(`${body?.error?.code ?? response.status}: ${body?.error?.message ?? response.statusText}`);
    }
    return ((await response.json()) as { records: AuditRecord[] }).records;
  };
}

/**
 * The online switch's position, mirrored in localStorage so that it shows right after a reload
 * and in every tab (`client.setOnline` itself is kept by the client, for all its tabs).
 */
export const onlineKey = (dbName: string): string => `weft-demo:online:${dbName}`;
