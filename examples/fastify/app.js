/**
 * The user API on Fastify 5, with the same ward chain as the engine server
 * (examples/server/chain.js) registered as a plugin, and the routes written
 * the Fastify way (handlers returning values, `reply.code()`), sharing the
 * store and the zod schemas of the engine example.
 */
import Fastify from 'fastify';
import { register } from 'prom-client';
import { ward } from '@ward/fastify';
import { metricsHandler } from '@ward/metrics';
import { wardChain } from '../server/chain.js';
import { PROBLEM_CONTENT_TYPE, asHttpError, problemBody, routeNotFound } from '../server/problem.js';
import { userNotFound, writeFailure } from '../server/users/errors.js';
import { USERS_PATH, userLocation } from '../server/users/paths.js';
import { listQuerySchema, userInputSchema } from '../server/users/schema.js';
import { createUserStore } from '../server/users/store.js';
import { validate } from '../server/users/validate.js';

/**
 * @typedef {object} FastifyAppOptions
 * @property {import('../server/users/store.js').UserStore} [store] Default: a new in-memory store.
 * @property {import('@ward/metrics').MetricsRegistry} [registry] where metrics go and what `/metrics` serves.
 *   Default: prom-client's global `register`, where every ward package registers by default.
 * @property {(error: unknown) => void} [onError] server faults (5xx). Default: printed to stderr.
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
  const onError = options.onError ?? ((error) => console.error('[fastify example] unhandled error:', error));
  const app = Fastify({
    logger: false,
    bodyLimit: 100 * 1024,
    // Errors Fastify raises before routing (a malformed percent-escape, a
    // path parameter over 100 characters: 414) as problem+json too.
    frameworkErrors: (error, _request, reply) => {
      sendProblem(reply, asHttpError(error));
    },
  });

  // ── The ward chain: the same list as the engine server (server/chain.js). ──
  await app.register(ward(wardChain({ registry })));

  // Fastify's native error handler: every error as problem+json.
  app.setErrorHandler((error, _request, reply) => {
    const httpError = asHttpError(error);
    if (httpError.status >= 500) onError(error);
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

  app.get(USERS_PATH, async (request) => {
    const { page, limit } = await validate(listQuerySchema, request.query, 'query');
    const { items, total } = await store.list({ page, limit });
    return { items, pagination: { page, limit, total, totalPages: Math.ceil(total / limit) } };
  });

  app.post(USERS_PATH, async (request, reply) => {
    const input = await validate(userInputSchema, request.body, 'body');
    const result = await store.create(input);
    if (!result.ok) throw writeFailure(result.reason, store.maxUsers);
    return reply.code(201).header('location', userLocation(result.user.id)).send(result.user);
  });

  app.get(`${USERS_PATH}/:id`, async (request) => {
    const user = await store.get(idOf(request.params));
    if (user === undefined) throw userNotFound();
    return user;
  });

  app.put(`${USERS_PATH}/:id`, async (request) => {
    const input = await validate(userInputSchema, request.body, 'body');
    const result = await store.replace(idOf(request.params), input);
    if (!result.ok) throw writeFailure(result.reason, store.maxUsers);
    return result.user;
  });

  app.delete(`${USERS_PATH}/:id`, async (request, reply) => {
    if (!(await store.remove(idOf(request.params)))) throw userNotFound();
    return reply.code(204).send();
  });

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
  return reply.code(error.status).header('cache-control', 'no-store').type(PROBLEM_CONTENT_TYPE).send(Buffer.from(problemBody(error)));
}

/**
 * @param {unknown} params
 * @returns {string}
 */
function idOf(params) {
  const id = /** @type {{ id?: unknown }} */ (params).id;
  return typeof id === 'string' ? id : '';
}
