/**
 * The user API on Fastify 5, with the same ward chain as the engine server
 * (examples/server/chain.js) registered as a plugin, and the routes written
 * the Fastify way (handlers returning values, `reply.code()`), sharing the
 * store and the zod schemas of the engine example.
 */
import Fastify from 'fastify';
import { register } from 'prom-client';
import { HttpError } from '@ward/core';
import { ward } from '@ward/fastify';
import { wardListener } from '@ward/node';
import { metricsHandler } from '@ward/metrics';
import { appAuth } from '../server/auth/app-auth.js';
import { MAX_BODY_BYTES } from '../server/app.js';
import { AUTH_ROUTES, authHandlers } from '../server/auth/handlers.js';
import { wardChain } from '../server/chain.js';
import { PROBLEM_CONTENT_TYPE, asHttpError, problemBody, responseRequestId, routeNotFound } from '../server/problem.js';
import { CIRCUITS_PATH, EXTERNAL_PATH, createExternalRoutes } from '../server/external/external.js';
import { createUsersCache, forgetUserLists, forgetListsOnWrites, USERS_CACHE_CONTROL, USERS_TAG } from '../server/users/cache.js';
import { userNotFound, writeFailure } from '../server/users/errors.js';
import { API_PREFIX, userLocation } from '../server/users/paths.js';
import { listQuerySchema, userInputSchema } from '../server/users/schema.js';
import { createUserStore } from '../server/users/store.js';
import { validate } from '../server/users/validate.js';

/**
 * @typedef {object} FastifyAppOptions
 * @property {import('../server/users/store.js').UserStore} [store] Default: a new in-memory store.
 * @property {import('@ward/metrics').MetricsRegistry} [registry] where metrics go and what `/metrics` serves.
 *   Default: prom-client's global `register`, where every ward package registers by default.
 * @property {import('../server/chain.js').ChainOptions['logger']} [logger] where access and audit records go
 *   (pino-compatible; Fastify's own `app.log` is one). Default: JSON lines on stdout.
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
 * Builds the app (plugins registered, not listening yet).
 *
 * @param {FastifyAppOptions} [options]
 * @returns {Promise<import('fastify').FastifyInstance>}
 */
export async function createFastifyApp(options = {}) {
  const store = options.store ?? createUserStore();
  const registry = options.registry ?? register;
  const { logger, corsOrigins, timeoutMs, onError, rateLimitStore, apiLimit, authLimit, addressLimit } = options;
  const usersCache = createUsersCache({ store: options.cacheStore, registry });
  // Every write to the store (the account service's too: register, profile) forgets the cached list pages.
  forgetListsOnWrites(store, usersCache);
  const { service, identify, access } = appAuth({ auth: options.auth, store, registry, corsOrigins, logger });
  const chain = wardChain({ registry, logger, corsOrigins, timeoutMs, onError, rateLimitStore, apiLimit, authLimit, addressLimit, identify });

  // Errors Fastify raises before routing (a malformed percent-escape; a path
  // parameter over 100 characters: 414) are answered before any plugin hook
  // runs, so the ward plugin never sees them. They go through the same chain
  // on node's own request and response (@ward/node), so they too carry the
  // request id, the security headers and an access-log line; recovery turns
  // the error into the problem+json answer.
  /** @type {WeakMap<import('node:http').IncomingMessage, import('@ward/core').HttpError>} */
  const beforeRouting = new WeakMap();
  const answerBeforeRouting = wardListener(chain, (req) => {
    throw beforeRouting.get(req) ?? new HttpError(400);
  });

  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    frameworkErrors: (error, request, reply) => {
      beforeRouting.set(request.raw, asHttpError(error));
      reply.hijack();
      answerBeforeRouting(request.raw, reply.raw);
    },
  });

  // ── The ward chain: the same list as the engine server (server/chain.js).
  //    The routes' errors reject next() in it: recovery answers them. ──
  await app.register(ward(chain));

  // Fastify's native error handler, every error as problem+json: Fastify's
  // own errors (a broken JSON body 400, 413, 415), which are answers the
  // chain sees after next(), not rejections; and anything recovery left.
  app.setErrorHandler((error, _request, reply) => {
    const httpError = asHttpError(error);
    if (httpError.status >= 500) console.error('[fastify example] error outside the ward chain:', error);
    return sendProblem(reply, httpError);
  });
  // Unknown routes: the same 404 problem+json as the engine.
  app.setNotFoundHandler((request, reply) => {
    const url = request.url;
    const q = url.indexOf('?');
    return sendProblem(reply, routeNotFound(request.method, q === -1 ? url : url.slice(0, q)));
  });

  app.get('/health', async () => ({ status: 'ok' }));

  // /metrics: a ward chain of its own, encapsulated under the /metrics prefix.
  await app.register(
    async (scope) => {
      await scope.register(ward([metricsHandler({ registry })]));
      // metricsHandler answers; this handler only gives Fastify a route to match.
      scope.get('/', async () => undefined);
    },
    { prefix: '/metrics' },
  );

  // ── Auth: the shared ward handlers (server/auth/handlers.js), each in a
  //    scope of its own with a route for Fastify to match; the guards are
  //    ward plugins in the scope they protect (a plugin covers its prefix only). ──
  const handlers = authHandlers(service);
  /**
   * @param {'GET' | 'POST' | 'PUT'} method
   * @param {string} path
   * @param {import('@ward/core').Middleware[]} chain
   * @param {import('fastify').FastifyInstance} [parent] the scope the route belongs to
   */
  const wardRoute = (method, path, chain, parent = app) =>
    parent.register(async (scope) => {
      // The bodies these ward handlers read have the example's limit, as on the engine: 413 past it.
      await scope.register(ward(chain, { body: { limitBytes: MAX_BODY_BYTES } }));
      // The chain answers; this handler only gives Fastify a route to match.
      scope.route({ method, url: path, handler: async () => undefined });
    });
  for (const [method, path, name] of AUTH_ROUTES) await wardRoute(method, path, [handlers[name]]);

  // Outbound calls (server/external/external.js): under /api/v1/, so a signed-in user only.
  if (options.upstreamUrl !== undefined) {
    const external = createExternalRoutes({ upstreamUrl: options.upstreamUrl, registry, circuitState: options.circuitState });
    await wardRoute('GET', EXTERNAL_PATH, [access.requireUser(), external.rates]);
    await wardRoute('GET', CIRCUITS_PATH, [access.requireUser(), external.circuits]);
  }
  await wardRoute('GET', '/api/users/profile', [access.requireUser(), handlers.getProfile]);
  await wardRoute('PUT', '/api/users/profile', [access.requireUser(), handlers.putProfile]);

  // The versioned API: a signed-in user only; its admin part, role admin only.
  await app.register(
    async (api) => {
      await api.register(ward([access.requireUser()]));
      await wardRoute('GET', '/admin/dashboard', [access.requireRole('admin'), handlers.dashboard], api);
      await wardRoute('GET', '/admin/stats', [access.requireRole('admin'), handlers.stats], api);

      // The list through the users cache (server/users/cache.js), a ward plugin in a scope of its own.
      await api.register(async (listScope) => {
        await listScope.register(ward([usersCache.middleware]));
        listScope.get('/users', async (request, reply) => {
          const { page, limit } = await validate(listQuerySchema, request.query, 'query');
          const { items, total } = await store.list({ page, limit });
          reply.header('cache-control', USERS_CACHE_CONTROL).header('cache-tag', USERS_TAG);
          return { items, pagination: { page, limit, total, totalPages: Math.ceil(total / limit) } };
        });
      });

      api.post('/users', async (request, reply) => {
        const input = await validate(userInputSchema, request.body, 'body');
        const result = await store.create(input);
        if (!result.ok) throw writeFailure(result.reason, store.maxUsers);
        await forgetUserLists(usersCache);
        return reply.code(201).header('location', userLocation(result.user.id)).send(result.user);
      });

      api.get('/users/:id', async (request) => {
        const user = await store.get(idOf(request.params));
        if (user === undefined) throw userNotFound();
        return user;
      });

      api.put('/users/:id', async (request) => {
        const input = await validate(userInputSchema, request.body, 'body');
        const result = await store.replace(idOf(request.params), input);
        if (!result.ok) throw writeFailure(result.reason, store.maxUsers);
        await forgetUserLists(usersCache);
        return result.user;
      });

      api.delete('/users/:id', async (request, reply) => {
        if (!(await store.remove(idOf(request.params)))) throw userNotFound();
        await forgetUserLists(usersCache);
        return reply.code(204).send();
      });
    },
    { prefix: API_PREFIX },
  );

  return app;
}

/**
 * Sends a problem+json answer. The body goes as a Buffer: Fastify appends
 * "; charset=utf-8" to the media type of string payloads.
 *
 * @param {import('fastify').FastifyReply} reply
 * @param {import('@ward/core').HttpError} error
 */
function sendProblem(reply, error) {
  for (const [name, value] of Object.entries(error.headers)) if (value !== undefined) reply.header(name, value);
  const body = problemBody(error, responseRequestId(reply.getHeader('x-request-id')));
  return reply.code(error.status).header('cache-control', 'no-store').type(PROBLEM_CONTENT_TYPE).send(Buffer.from(body));
}

/**
 * @param {unknown} params
 * @returns {string}
 */
function idOf(params) {
  const id = /** @type {{ id?: unknown }} */ (params).id;
  return typeof id === 'string' ? id : '';
}
