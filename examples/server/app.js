/**
 * The example service on @ward/engine: health, metrics and the user API.
 * Exported for tests; examples/server/main.js starts it.
 */
import { Engine } from '@ward/engine';
import { metricsHandler } from '@ward/metrics';
import { register } from 'prom-client';
import { appAuth } from './auth/app-auth.js';
import { mountAuthRoutes } from './auth/routes.js';
import { wardChain } from './chain.js';
import { CIRCUITS_PATH, EXTERNAL_PATH, createExternalRoutes } from './external/external.js';
import { API_PREFIX } from './users/paths.js';
import { createUsersCache, forgetListsOnWrites } from './users/cache.js';
import { mountUserRoutes } from './users/routes.js';
import { createUserStore } from './users/store.js';

/** Largest request body, in bytes (100 KiB). */
export const MAX_BODY_BYTES = 100 * 1024;

/**
 * @typedef {object} AppOptions
 * @property {import('./users/store.js').UserStore} [store] Default: a new in-memory store (10 000 users at most).
 * @property {import('@ward/metrics').MetricsRegistry} [registry] where metrics go and what `/metrics` serves.
 *   Default: prom-client's global `register`, where every ward package registers by default.
 * @property {import('@ward/engine').EngineOptions} [engine] engine options (trustProxy, development…). Its
 *   `onError` sees only faults outside the ward chain: recovery (in the chain) answers and reports the rest.
 * @property {import('./chain.js').ChainOptions['logger']} [logger] where access and audit records go
 *   (pino-compatible). Default: JSON lines on stdout.
 * @property {readonly string[]} [corsOrigins] origins allowed by CORS. Default: `http://localhost:5173`.
 * @property {number} [timeoutMs] budget of one request, in ms (then 503 `TIMEOUT`). Default: 10 000.
 * @property {import('./chain.js').ChainOptions['onError']} [onError] recovery's reports of server faults (5xx).
 *   Default: one JSON line on stderr.
 * @property {import('@ward/rate-limit').RateLimitStore} [rateLimitStore] where rate-limit buckets live. Default: memory.
 * @property {import('@ward/rate-limit').RateLimitPolicy} [apiLimit] the general `/api/` limit. Default: 1 000/min.
 * @property {import('@ward/rate-limit').RateLimitPolicy} [authLimit] the `/api/auth/` limit. Default: 10/min, 5 at once.
 * @property {import('@ward/rate-limit').RateLimitPolicy} [addressLimit] the coarse per-address `/api/` limit, before tokens are verified. Default: 3 000/min.
 * @property {import('./auth/service.js').ExampleAuth} [auth] accounts and tokens. Default: a new service on `store`
 *   with a random signing secret.
 * @property {import('@ward/cache').CacheStore} [cacheStore] where `GET /api/v1/users` answers are cached. Default: memory.
 * @property {import('@ward/circuit-breaker').SharedCircuitState} [circuitState] where the outbound breakers share their verdicts (Redis). Default: none.
 * @property {string} [upstreamUrl] the rates service `GET /api/v1/external` calls (main.js starts a flaky local one).
 *   Default: none, and neither that route nor `GET /api/v1/health/circuits` exists.
 */

/**
 * Builds the engine app.
 *
 * @param {AppOptions} [options]
 * @returns {Engine}
 * @example
 * const app = createApp();
 * const server = await app.listen({ port: 3000 });
 */
export function createApp(options = {}) {
  const store = options.store ?? createUserStore();
  const registry = options.registry ?? register;
  // Bodies up to 100 KiB (a user is a few hundred bytes), as in the Express
  // and Fastify examples; a larger one is a 413 before it is read.
  const engine = new Engine({ body: { limitBytes: MAX_BODY_BYTES }, ...options.engine });

  // ── The ward chain, in one place: see chain.js (shared with the Express
  //    and Fastify examples). Global: it runs for every request, 404s too. ──
  const usersCache = createUsersCache({ store: options.cacheStore, registry });
  // Every write to the store (the account service's too: register, profile) forgets the cached list pages.
  forgetListsOnWrites(store, usersCache);
  const { service, identify, access } = appAuth({ auth: options.auth, store, registry, corsOrigins: options.corsOrigins, logger: options.logger });
  engine.use(...wardChain({ registry, logger: options.logger, corsOrigins: options.corsOrigins, timeoutMs: options.timeoutMs, onError: options.onError, rateLimitStore: options.rateLimitStore, apiLimit: options.apiLimit, authLimit: options.authLimit, addressLimit: options.addressLimit, identify }));

  engine.get('/health', function health(ctx) {
    ctx.json(200, { status: 'ok' });
  });
  // Metrics reveal routes and traffic: in production, serve them on an
  // internal port or put an auth middleware in front.
  engine.get('/metrics', metricsHandler({ registry }));

  // Outbound calls through resilientFetch (timeouts, retries, a breaker per host), and the breakers' states:
  // under /api/v1/, so a signed-in user only, like the rest of it.
  if (options.upstreamUrl !== undefined) {
    const external = createExternalRoutes({ upstreamUrl: options.upstreamUrl, registry, circuitState: options.circuitState });
    engine.get(EXTERNAL_PATH, access.requireUser(), external.rates);
    engine.get(CIRCUITS_PATH, access.requireUser(), external.circuits);
  }

  // The versioned API: a signed-in user only (401 otherwise); its admin
  // part, role admin only (403 otherwise). The auth routes and the profile.
  const api = engine.group(API_PREFIX, access.requireUser());
  mountUserRoutes(api, store, usersCache);
  mountAuthRoutes(engine, service, access, api);
  return engine;
}
