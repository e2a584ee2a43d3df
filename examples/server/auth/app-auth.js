/**
 * What each example app needs from the auth pieces, built once per app:
 * the account service (a given one, or a new one on the app's user store
 * with a random secret), `identify` — jwtAuth in optional mode, for the
 * chain — and the access policy whose checks guard the route groups.
 */
import { randomBytes } from 'node:crypto';
import { jwtAuth } from '@ward/auth';
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
  const identify = jwtAuth({ ...service.verification(), optional: true, registry });
  const access = accessPolicy({ registry, ...(logger === undefined ? {} : { logger }) });
  return { service, identify, access };
}
