import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Loads an optional peer dependency (a database driver) when the adapter that needs it is
 * imported, so an app that never imports `weft/server/sqlite` or `weft/server/postgres` never
 * installs or compiles that driver. A missing driver is an error that names the package to
 * install, not Node's bare "Cannot find package".
 */
export function requirePeer<T>(name: string, entry: string): T {
  try {
    return require(name) as T;
  } catch (error) {
    if (isMissing(error, name)) {
      throw new Error(
        `weft: ${entry} needs the package "${name}", an optional peer dependency of weft. Install it in your app: npm install ${name}`,
        { cause: error },
      );
    }
    throw error;
  }
}

function isMissing(error: unknown, name: string): boolean {
  if (!(error instanceof Error) || !('code' in error) || error.code !== 'MODULE_NOT_FOUND') return false;
  return error.message.includes(`'${name}'`);
}
