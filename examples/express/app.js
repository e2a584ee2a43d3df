/**
 * The user API on Express 5, with the same ward chain as the engine server
 * (examples/server/chain.js) mounted by `app.use(ward([...]))`, and the
 * routes written the Express way (express.json(), res.status().json()),
 * sharing the store and the zod schemas of the engine example.
 */
import express from 'express';
import { register } from 'prom-client';
import { HttpError } from '@ward/core';
import { ward } from '@ward/express';
import { metricsHandler } from '@ward/metrics';
import { appAuth } from '../server/auth/app-auth.js';
import { AUTH_ROUTES, authHandlers } from '../server/auth/handlers.js';
import { MAX_BODY_BYTES } from '../server/app.js';
import { wardChain } from '../server/chain.js';
import { PROBLEM_CONTENT_TYPE, asHttpError, problemBody, responseRequestId, routeNotFound } from '../server/problem.js';
import { CIRCUITS_PATH, EXTERNAL_PATH, createExternalRoutes } from '../server/external/external.js';
import { createUsersCache, forgetUserLists, forgetListsOnWrites, USERS_CACHE_CONTROL, USERS_TAG } from '../server/users/cache.js';
import { userNotFound, writeFailure } from '../server/users/errors.js';
import { API_PREFIX, USERS_PATH, userLocation } from '../server/users/paths.js';
import { listQuerySchema, userInputSchema } from '../server/users/schema.js';
import { createUserStore } from '../server/users/store.js';
import { validate } from '../server/users/validate.js';

/**
 * @typedef {object} ExpressAppOptions
 * @property {import('../server/users/store.js').UserStore} [store] Default: a new in-memory store.
 * @property {import('@ward/metrics').MetricsRegistry} [registry] where metrics go and what `/metrics` serves.
 *   Default: prom-client's global `register`, where every ward package registers by default.
 * @property {import('../server/chain.js').ChainOptions['logger']} [logger] where access and audit records go
 *   (pino-compatible). Default: JSON lines on stdout.
 * @property {readonly string[]} [corsOrigins] origins allowed by CORS. Default: `http://localhost:5173`.
 * @property {number} [timeoutMs] budget of one request, in ms (then 503 `TIMEOUT`). Default: 10 000.
 * @property {import('../server/chain.js').ChainOptions['onError']} [onError] recovery's reports of server
 *   faults (5xx). Default: one JSON line on stderr.
 * @property {import('@ward/rate-limit').RateLimitStore} [rateLimitStore] where rate-limit buckets live. Default: memory.
 * @property {import('@ward/rate-limit').RateLimitPolicy} [apiLimit] the general `/api/` limit. Default: 1 000/min.
 * @property {import('@ward/rate-limit').RateLimitPolicy} [authLimit] the `/api/auth/` limit. Default: 10/min, 5 at once.
 * @property {import('@ward/rate-limit').RateLimitPolicy} [addressLimit] the coarse per-address `/api/` limit, before tokens are verified. Default: 3 000/min.
 * @property {import('../server/auth/service.js').ExampleAuth} [auth] accounts and tokens. Default: a new service on `store`.
 * @property {import('@ward/cache').CacheStore} [cacheStore] where `GET /api/v1/users` answers are cached. Default: memory.
 * @property {import('@ward/circuit-breaker').SharedCircuitState} [circuitState] where the outbound breakers share their verdicts (Redis). Default: none.
 * @property {string} [upstreamUrl] the rates service `GET /api/v1/external` calls. Default: none (no such route).
 */

/**
 * @param {ExpressAppOptions} [options]
 * @returns {import('express').Express}
 */
export function createExpressApp(options = {}) {
  const store = options.store ?? createUserStore();
  const registry = options.registry ?? register;
  const app = express();
  // The users cache gives a strong ETag (a hash of the body), as on the engine and Fastify; Express's own is weak.
  app.set('etag', false);
  // No app.disable('x-powered-by'): securityHeaders() in the chain removes
  // X-Powered-By from every answer, Express's own 404 and error pages included.

  // ── The ward chain: the same list as the engine server (server/chain.js).
  //    Ward gets the routes' errors first: recovery answers them. ──
  const { logger, corsOrigins, timeoutMs, onError, rateLimitStore, apiLimit, authLimit, addressLimit } = options;
  const usersCache = createUsersCache({ store: options.cacheStore, registry });
  // Every write to the store (the account service's too: register, profile) forgets the cached list pages.
  forgetListsOnWrites(store, usersCache);
  const { service, identify, access } = appAuth({ auth: options.auth, store, registry, corsOrigins, logger });
  app.use(ward(wardChain({ registry, logger, corsOrigins, timeoutMs, onError, rateLimitStore, apiLimit, authLimit, addressLimit, identify })));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', ward([metricsHandler({ registry })]));

  // Outbound calls (server/external/external.js): under /api/v1/, so a signed-in user only.
  if (options.upstreamUrl !== undefined) {
    const external = createExternalRoutes({ upstreamUrl: options.upstreamUrl, registry, circuitState: options.circuitState });
    app.get(EXTERNAL_PATH, ward([access.requireUser(), external.rates]));
    app.get(CIRCUITS_PATH, ward([access.requireUser(), external.circuits]));
  }

  // ── Auth: the shared ward handlers (server/auth/handlers.js) as routes;
  //    the guards mounted with app.use, so they match exactly what Express
  //    routes (case-insensitively, with or without a trailing slash). ──
  const handlers = authHandlers(service);
  // The bodies these ward handlers read (ctx.req.body()) have the example's limit, as on the engine: 413 past it.
  const bodies = { body: { limitBytes: MAX_BODY_BYTES } };
  for (const [, path, name] of AUTH_ROUTES) app.post(path, ward([handlers[name]], bodies));
  app.get('/api/users/profile', ward([access.requireUser(), handlers.getProfile]));
  app.put('/api/users/profile', ward([access.requireUser(), handlers.putProfile], bodies));
  app.use(API_PREFIX, ward([access.requireUser()]));
  app.use(`${API_PREFIX}/admin`, ward([access.requireRole('admin')]));
  app.get(`${API_PREFIX}/admin/dashboard`, ward([handlers.dashboard]));
  app.get(`${API_PREFIX}/admin/stats`, ward([handlers.stats]));

  // strict: false — any JSON value is parsed (`null`, a string) and judged by the schema,
  // as on the engine and Fastify: a 400 VALIDATION_FAILED rather than INVALID_JSON.
  const parse = express.json({ limit: '100kb', strict: false });
  // express.json() passes other types by silently: a body that is not JSON is a 415, as on the engine and Fastify.
  /**
   * @param {import('express').Request<Record<string, string>>} req
   * @param {import('express').Response} res
   * @param {import('express').NextFunction} next
   */
  const json = (req, res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    // The types the engine's body parser takes (JSON, text, forms); anything else is refused there too.
    if (hasBody && req.is(['application/json', 'application/*+json', 'text/plain', 'application/x-www-form-urlencoded']) === false) {
      next(new HttpError(415, { code: 'UNSUPPORTED_MEDIA_TYPE', detail: `Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')} is not accepted` }));
      return;
    }
    parse(req, res, next);
  };

  // The list through the users cache (server/users/cache.js): tagged with Cache-Tag, which the cache removes.
  app.get(USERS_PATH, ward([usersCache.middleware]), async (req, res) => {
    const { page, limit } = await validate(listQuerySchema, req.query, 'query');
    const { items, total } = await store.list({ page, limit });
    res.set({ 'cache-control': USERS_CACHE_CONTROL, 'cache-tag': USERS_TAG });
    res.json({ items, pagination: { page, limit, total, totalPages: Math.ceil(total / limit) } });
  });

  app.post(USERS_PATH, json, async (req, res) => {
    const input = await validate(userInputSchema, req.body, 'body');
    const result = await store.create(input);
    if (!result.ok) throw writeFailure(result.reason, store.maxUsers);
    await forgetUserLists(usersCache);
    res.status(201).location(userLocation(result.user.id)).json(result.user);
  });

  app.get(`${USERS_PATH}/:id`, async (req, res) => {
    const user = await store.get(req.params['id'] ?? '');
    if (user === undefined) throw userNotFound();
    res.json(user);
  });

  app.put(`${USERS_PATH}/:id`, json, async (req, res) => {
    const input = await validate(userInputSchema, req.body, 'body');
    const result = await store.replace(req.params['id'] ?? '', input);
    if (!result.ok) throw writeFailure(result.reason, store.maxUsers);
    await forgetUserLists(usersCache);
    res.json(result.user);
  });

  app.delete(`${USERS_PATH}/:id`, async (req, res) => {
    if (!(await store.remove(req.params['id'] ?? ''))) throw userNotFound();
    await forgetUserLists(usersCache);
    res.status(204).end();
  });

  // Unknown routes: the same 404 problem+json as the engine.
  app.use((req, _res, next) => {
    next(routeNotFound(req.method, req.path));
  });

  // Express's native error handler, every error as problem+json: the
  // fallback for errors no ward chain handled. With recovery in the chain
  // that is none of the routes' errors; it stays for errors raised where no
  // ward chain waits (a sub-app, say, or a chain without recovery).
  /** @type {import('express').ErrorRequestHandler} */
  const errorHandler = (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    const httpError = asHttpError(error);
    if (httpError.status >= 500) console.error('[express example] error outside the ward chain:', error);
    for (const [name, value] of Object.entries(httpError.headers)) if (value !== undefined) res.setHeader(name, value);
    const body = problemBody(httpError, responseRequestId(res.getHeader('x-request-id')));
    // res.end, not res.send: send would append "; charset=utf-8" to the media type.
    res.status(httpError.status);
    res.setHeader('content-type', PROBLEM_CONTENT_TYPE);
    res.setHeader('cache-control', 'no-store');
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(body);
  };
  app.use(errorHandler);
  return app;
}

