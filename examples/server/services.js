/**
 * What main.js (and the Express and Fastify mains) start before the app:
 * the user store, the account service and where the shared state lives —
 * rate-limit buckets, refresh-token families, revoked access tokens and
 * cached responses in memory, or all four (and the outbound breakers'
 * verdicts) in Redis on one ioredis client
 * when REDIS_URL is set. An `admin` account is created when ADMIN_EMAIL is set,
 * and a flaky local rates service is started unless UPSTREAM_URL is set.
 */
import { randomBytes } from 'node:crypto';
import { MemoryRefreshStore, MemoryRevocationStore, RedisRefreshStore, RedisRevocationStore } from '@ward/auth';
import { MemoryCacheStore, RedisCacheStore } from '@ward/cache';
import { RedisCircuitState } from '@ward/circuit-breaker';
import { MemoryStore, RedisStore } from '@ward/rate-limit';
import { createExampleAuth } from './auth/service.js';
import { startFlakyUpstream } from './external/upstream.js';
import { createUserStore } from './users/store.js';

/**
 * @param {import('./env.js').ExampleEnv} env
 */
export async function createServices(env) {
  const store = createUserStore();
  /** @type {string[]} */
  const notes = [];
  let close = async () => undefined;
  /** @type {{ rateLimitStore: import('@ward/rate-limit').RateLimitStore, refreshStore: import('@ward/auth').RefreshStore, revocation: import('@ward/auth').RevocationStore, cacheStore: import('@ward/cache').CacheStore, circuitState?: RedisCircuitState }} */
  let stores = { rateLimitStore: new MemoryStore(), refreshStore: new MemoryRefreshStore(), revocation: new MemoryRevocationStore(), cacheStore: new MemoryCacheStore({ maxSizeBytes: 16 * 1024 * 1024 }) };
  if (env.store.kind === 'redis') {
    const { Redis } = await import('ioredis');
    // No offline queue: while Redis is away a call fails at once, and each
    // store's failure mode decides (rate limits: a local fallback; refresh:
    // 503; revocation: 503, fail closed; the response cache: bypassed).
    const client = new Redis(env.store.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined); // reported once per episode by the stores, not per reconnect attempt
    // The breakers of outbound calls trip together across instances (their verdicts in Redis).
    const circuitState = new RedisCircuitState({ client });
    stores = { rateLimitStore: new RedisStore({ client }), refreshStore: new RedisRefreshStore({ client }), revocation: new RedisRevocationStore({ client }), cacheStore: new RedisCacheStore({ client }), circuitState };
    close = async () => {
      circuitState.close();
      client.disconnect();
    };
  }
  if (env.jwtSecret === undefined) notes.push('auth: a random JWT secret for this run (set JWT_SECRET to keep tokens valid across restarts)');
  const auth = createExampleAuth({ users: store, secret: env.jwtSecret ?? randomBytes(32), refreshStore: stores.refreshStore, revocation: stores.revocation, allowedOrigins: env.corsOrigins });
  if (env.admin !== undefined) {
    await auth.seed({ name: 'Administrator', email: env.admin.email, age: 30, role: 'admin', password: env.admin.password });
    notes.push(`auth: admin account ${env.admin.email} (ADMIN_EMAIL)`);
  }
  // GET /api/v1/external calls UPSTREAM_URL, or a local upstream failing half its requests.
  let upstreamUrl = env.upstreamUrl;
  if (upstreamUrl === undefined) {
    const upstream = await startFlakyUpstream();
    upstreamUrl = upstream.url;
    notes.push(`external: a flaky local rates service at ${upstream.url} (every other request fails; set UPSTREAM_URL to call another)`);
    const closeStores = close;
    close = async () => {
      await Promise.all([closeStores(), upstream.close()]);
    };
  }
  return { store, auth, rateLimitStore: stores.rateLimitStore, cacheStore: stores.cacheStore, circuitState: stores.circuitState, upstreamUrl, notes, close };
}
