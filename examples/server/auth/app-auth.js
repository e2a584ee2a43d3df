/**
 * What each example app needs from the auth pieces, built once per app:
 * the account service (a given one, or a new one on the app's user store
 * with a random secret), `identify` — jwtAuth in optional mode, for the
 * chain — and the access policy whose checks guard the route groups.
 */
import { randomBytes } from 'node:crypto';
import { createJwtVerifier, jwtAuth } from '@ward/auth';
import { routedPath } from '../rate-limits.js';

/** One bearer token (RFC 6750 §2.1). */
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;
import { accessPolicy } from './policy.js';
import { createExampleAuth } from './service.js';

/**
 * @typedef {object} AppAuthOptions
 * @property {import('./service.js').ExampleAuth} [auth] the account service. Default: a new one on `store`,
 *   signing with a random secret (tokens do not survive a restart; main.js passes JWT_SECRET).
 * @property {import('../users/store.js').UserStore} store
 * @property {import('@ward/metrics').MetricsRegistry} registry
 * @property {readonly string[]} [corsOrigins]
 * @property {import('@ward/auth').AuthzLogger} [logger] where authorization decisions are logged
 */

/**
 * @param {AppAuthOptions} options
 */
export function appAuth({ auth, store, registry, corsOrigins, logger }) {
  const service = auth ?? createExampleAuth({ users: store, secret: randomBytes(32), ...(corsOrigins === undefined ? {} : { allowedOrigins: corsOrigins }) });
  const strict = jwtAuth({ ...service.verification(), optional: true, registry });
  const lenient = createJwtVerifier(service.verification());
  /**
   * Who the request is from. On `/api/auth/` the answer comes from the
   * refresh cookie: a stale or bad bearer token is no reason to refuse a
   * login or a logout (the login would stay alive), so there it only sets
   * the user when valid — logout then revokes that access token too.
   *
   * @type {import('@ward/core').Middleware}
   */
  const identify = async function identify(ctx, next) {
    if (!routedPath(ctx).startsWith('/api/auth/')) return strict(ctx, next);
    const match = BEARER.exec(ctx.req.header('authorization') ?? '');
    if (match !== null) {
      try {
        ctx.state.user = (await lenient.verify(match[1] ?? '')).user;
      } catch {
        // Not a valid token: anonymous, as without one.
      }
    }
    return next();
  };
  const access = accessPolicy({ registry, ...(logger === undefined ? {} : { logger }) });
  return { service, identify, access };
}
