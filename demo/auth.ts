import { type Auth, bearerAuth } from '../server/index.ts';

/**
 * The demo's auth (DESIGN §5): the bearer token `demo:<name>` is user `<name>`, who may read and
 * write every scope and read its audit records; `adminToken` is the admin, the only one who may
 * read audit records across scopes.
 */
export function demoAuth(options: { adminToken: string }): Auth {
  return bearerAuth({
    verify(token) {
      if (token === options.adminToken) return { userId: 'admin', admin: true };
      const match = /^demo:([\w-]{1,64})$/u.exec(token);
      return match?.[1] ? { userId: match[1] } : null;
    },
    authorize: () => true,
  });
}
