/**
 * The example's rate limits (@ward/rate-limit), shared by the three apps:
 *
 * - `auth`: a strict 10 a minute, 5 at once, per client address, on
 *   `/api/auth/` — register, login, refresh, logout — where guessing
 *   passwords must be slow. It runs before any token is looked at.
 * - `address`: 3 000 a minute per client address on `/api/`, before any
 *   token is looked at. A request with a bad or expired token is a 401
 *   from jwtAuth before `api` could count it (and costs a signature check):
 *   this coarse limit is what slows a flood of those. Three times `api`, so
 *   a few signed-in users behind one NAT address never meet it first.
 * - `api`: every authenticated user (`user:<id>`, after `jwtAuth`), else
 *   client address, gets 1 000 requests a minute on `/api/`, all at once if
 *   it wants. A background refresh of the users cache (`isCacheRefresh`)
 *   is the cache's own request, not the user's: it is not counted.
 *
 * Both keep their buckets in the given store: memory by default (one
 * process), Redis when main.js is started with REDIS_URL (a fleet). A Redis
 * outage falls back to a local MemoryStore (`failureMode: 'memory'`);
 * services.js makes the store.
 */
import { isCacheRefresh } from '@ward/cache';
import { MemoryStore, rateLimit } from '@ward/rate-limit';

/** The general limit of `/api/`. */
export const API_LIMIT = Object.freeze({ name: 'api', limit: 1_000, windowMs: 60_000 });
/** The coarse per-address limit of `/api/`, before tokens are verified. */
export const ADDRESS_LIMIT = Object.freeze({ name: 'address', limit: 3_000, windowMs: 60_000 });
/** The strict limit of `/api/auth/`. */
export const AUTH_LIMIT = Object.freeze({ name: 'auth', limit: 10, windowMs: 60_000, burst: 5 });

/**
 * @typedef {object} RateLimitsOptions
 * @property {import('@ward/metrics').MetricsRegistry} registry
 * @property {import('@ward/rate-limit').RateLimitStore} [store] Default: a new MemoryStore.
 * @property {import('@ward/rate-limit').RateLimitPolicy} [apiLimit] Default: {@link API_LIMIT}.
 * @property {import('@ward/rate-limit').RateLimitPolicy} [authLimit] Default: {@link AUTH_LIMIT}.
 * @property {import('@ward/rate-limit').RateLimitPolicy} [addressLimit] Default: {@link ADDRESS_LIMIT}.
 */

/**
 * The three limiters, apart: the chain puts `auth` and `address` before
 * token verification and `api` after it (so `api` counts per user).
 *
 * @param {RateLimitsOptions} options
 * @returns {{ auth: import('@ward/core').Middleware, address: import('@ward/core').Middleware, api: import('@ward/core').Middleware }}
 */
export function rateLimits({ registry, store = new MemoryStore(), apiLimit = API_LIMIT, authLimit = AUTH_LIMIT, addressLimit = ADDRESS_LIMIT }) {
  const failureMode = store instanceof MemoryStore ? 'open' : 'memory';
  return {
    auth: rateLimit({ name: 'auth', policies: [authLimit], store, failureMode, registry, skip: (ctx) => !routedPath(ctx).startsWith('/api/auth/') }),
    // Before identify, so no user is known yet: the key is the client address.
    address: rateLimit({ name: 'address', policies: [addressLimit], store, failureMode, registry, skip: (ctx) => !routedPath(ctx).startsWith('/api/') || isCacheRefresh(ctx) }),
    api: rateLimit({ name: 'api', policies: [apiLimit], store, failureMode, registry, skip: (ctx) => !routedPath(ctx).startsWith('/api/') || isCacheRefresh(ctx) }),
  };
}

/**
 * The path as the routers may read it: Express matches case-insensitively
 * and Fastify on the decoded path, so `/API/auth/login` and `/api/%61uth/login`
 * reach the login handler — they must meet its limit too.
 *
 * @param {import('@ward/core').Context} ctx
 * @returns {string}
 */
export function routedPath(ctx) {
  const path = ctx.req.path;
  let decoded = path;
  if (path.includes('%')) {
    try {
      decoded = decodeURIComponent(path);
    } catch {
      // A malformed escape: the router refuses it; the raw path is what there is.
    }
  }
  return decoded.toLowerCase();
}
