import type { AnyApp } from '../../shared/index.ts';
import type { Port, PortOptions } from '../page/index.ts';
import { type ClientOptions, checkClientOptions, clientOn, type WeftClient } from '../page/index.ts';
import { TabSession } from '../tabs/index.ts';

/** The port to an engine on this thread (still elected across tabs). */
export async function sessionPort(app: AnyApp, options: PortOptions): Promise<Port> {
  const { url, scopes, auth, dbName } = options;
  const session = await TabSession.open(app, { url, scopes, dbName, ...(auth === undefined ? {} : { auth }) });
  return {
    initial: session.status(),
    scopes: [...scopes],
    engine: session.engine,
    close: () => session.close(),
  };
}

/**
 * Opens a client of `app` whose engine runs on this thread instead of a worker (still elected
 * across tabs): for tests, and for pages that cannot start a module worker. It loads the whole
 * engine (Dexie included) into the page; `createClient` with a worker keeps it out.
 *
 * @example
 * import { createInlineClient } from 'weft/client/worker';
 * const weft = await createInlineClient(notes, { url: location.origin, scopes: ['notes:me'], dbName: 'notes' });
 */
export async function createInlineClient<A extends AnyApp>(
  app: A,
  options: Omit<ClientOptions, 'worker'>,
): Promise<WeftClient<A>> {
  return clientOn(app, await sessionPort(app, checkClientOptions(options)));
}
