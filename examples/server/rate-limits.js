/**
 * The example's rate limits (@ward/rate-limit), shared by the three apps:
 *
 * - `api`: every client address (or authenticated user, once auth exists)
 *   gets 1 000 requests a minute on `/api/`, all at once if it wants.
 * - `auth`: a strict 10 a minute, 5 at once, on `/api/auth/` — the login and
 *   token routes of the auth issue go there, where guessing passwords must
 *   be slow.
 *
 * Both keep their buckets in the given store: memory by default (one
 * process), Redis when main.js is started with REDIS_URL (a fleet). A Redis
 * outage falls back to a local MemoryStore (`failureMode: 'memory'`).
 */
import { MemoryStore, RedisStore, rateLimit } from '@ward/rate-limit';

/** The general limit of `/api/`. */
export const API_LIMIT = Object.freeze({ name: 'api', limit: 1_000, windowMs: 60_000 });
/** The strict limit of `/api/auth/`. */
export const AUTH_LIMIT = Object.freeze({ name: 'auth', limit: 10, windowMs: 60_000, burst: 5 });

/**
 * @typedef {object} RateLimitsOptions
 * @property {import('@ward/metrics').MetricsRegistry} registry
 * @property {import('@ward/rate-limit').RateLimitStore} [store] Default: a new MemoryStore.
 * @property {import('@ward/rate-limit').RateLimitPolicy} [apiLimit] Default: {@link API_LIMIT}.
 * @property {import('@ward/rate-limit').RateLimitPolicy} [authLimit] Default: {@link AUTH_LIMIT}.
 */

/**
 * @param {RateLimitsOptions} options
 * @returns {import('@ward/core').Middleware[]}
 */
export function rateLimits({ registry, store = new MemoryStore(), apiLimit = API_LIMIT, authLimit = AUTH_LIMIT }) {
  const failureMode = store instanceof MemoryStore ? 'open' : 'memory';
  return [
    rateLimit({ name: 'api', policies: [apiLimit], store, failureMode, registry, skip: (ctx) => !ctx.req.path.startsWith('/api/') }),
    rateLimit({ name: 'auth', policies: [authLimit], store, failureMode, registry, skip: (ctx) => !ctx.req.path.startsWith('/api/auth/') }),
  ];
}

/**
 * The store main.js uses: a RedisStore on its own ioredis client when
 * `REDIS_URL` is set, else a MemoryStore.
 *
 * @param {import('./env.js').ExampleEnv['store']} kind
 * @returns {Promise<{ store: import('@ward/rate-limit').RateLimitStore, close(): Promise<void> }>}
 */
export async function createRateLimitStore(kind) {
  if (kind.kind !== 'redis') return { store: new MemoryStore(), close: async () => undefined };
  const { Redis } = await import('ioredis');
  // No offline queue: while Redis is away a decision fails at once and the fallback decides.
  const client = new Redis(kind.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined); // reported once per episode by the limiter, not per reconnect attempt
  return {
    store: new RedisStore({ client }),
    close: async () => {
      client.disconnect();
    },
  };
}
