/** Who is calling: a user, possibly the admin (who may read audit records across scopes). */
export interface Principal {
  readonly userId: string;
  readonly admin?: boolean;
}

export type Right = 'read' | 'write' | 'audit';

/**
 * The auth port: who the request is from, and what they may do per scope. Apps pass their own;
 * `bearerAuth` covers the common case of a bearer token mapped to a principal.
 */
export interface Auth {
  /** The caller, or null when the request carries no valid credentials (answered 401). */
  authenticate(request: Request): Principal | null | Promise<Principal | null>;
  /** Whether `principal` holds `right` on `scope`; asked again at live delivery time. */
  authorize(principal: Principal, right: Right, scope: string): boolean | Promise<boolean>;
}

/**
 * Bearer-token auth: `verify` maps the token of `Authorization: Bearer <token>` to a principal.
 *
 * @example
 * const auth = bearerAuth({ verify: (token) => (token === process.env.TOKEN ? { userId: 'ops' } : null) });
 */
export function bearerAuth(options: {
  verify(token: string): Principal | null | Promise<Principal | null>;
  /** Defaults to: every authenticated user may read and write every scope; only admins audit. */
  authorize?: Auth['authorize'];
}): Auth {
  return {
    authenticate(request) {
      const token = bearerToken(request);
      return token === null ? null : options.verify(token);
    },
    authorize: options.authorize ?? ((principal, right) => right !== 'audit' || principal.admin === true),
  };
}

export function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization');
  const match = header?.match(/^Bearer\s+(\S{1,4096})$/iu);
  return match?.[1] ?? null;
}
