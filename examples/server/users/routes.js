/**
 * The user API on the engine:
 *
 * | route | answer |
 * | --- | --- |
 * | GET /users?page=&limit= | 200 `{ items, pagination: { page, limit, total, totalPages } }` |
 * | POST /users | 201 + `Location`, the user; 409 `EMAIL_TAKEN`; 507 `USER_STORE_FULL` |
 * | GET /users/:id | 200 the user; 404 `USER_NOT_FOUND` |
 * | PUT /users/:id | 200 the user (whole replacement); 404; 409 |
 * | DELETE /users/:id | 204; 404 |
 *
 * Invalid input is a 400 `VALIDATION_FAILED` from `ctx.validate()`; errors
 * are thrown as `HttpError`s and the engine answers them as problem+json.
 * The list goes through the users cache (cache.js); writes invalidate it.
 */
import { forgetUserLists, USERS_CACHE_CONTROL, USERS_TAG } from './cache.js';
import { userNotFound, writeFailure } from './errors.js';
import { userLocation } from './paths.js';
import { listQuerySchema, userInputSchema } from './schema.js';

/**
 * @typedef {import('@ward/engine').EngineContext} EngineContext
 * @typedef {Pick<import('@ward/engine').RouterGroup, 'get' | 'post' | 'put' | 'delete'>} RouteTarget
 */

/**
 * Registers the user routes on an engine or a group; paths are relative to
 * it (`/users`, `/users/:id`), so mount it on the `/api/v1` group.
 *
 * @param {RouteTarget} router
 * @param {import('./store.js').UserStore} store
 * @param {import('@ward/cache').ResponseCache} [cache] the list's response cache. Default: none (the list is not cached).
 * @example
 * mountUserRoutes(engine.group('/api/v1'), createUserStore(), createUsersCache({}));
 */
export function mountUserRoutes(router, store, cache) {
  /** @param {EngineContext} ctx */
  async function listUsers(ctx) {
    const { page, limit } = await ctx.validate(listQuerySchema, 'query');
    const { items, total } = await store.list({ page, limit });
    ctx.state.cacheTags = [USERS_TAG];
    ctx.json(200, { items, pagination: { page, limit, total, totalPages: Math.ceil(total / limit) } }, { 'cache-control': USERS_CACHE_CONTROL });
  }
  if (cache === undefined) router.get('/users', listUsers);
  else router.get('/users', cache.middleware, listUsers);

  router.post('/users', async function createUser(ctx) {
    const input = await ctx.validate(userInputSchema, 'body');
    const result = await store.create(input);
    if (!result.ok) throw writeFailure(result.reason, store.maxUsers);
    if (cache !== undefined) await forgetUserLists(cache);
    ctx.json(201, result.user, { location: userLocation(result.user.id) });
  });

  router.get('/users/:id', async function getUser(ctx) {
    const user = await store.get(ctx.param('id'));
    if (user === undefined) throw userNotFound();
    ctx.json(200, user);
  });

  router.put('/users/:id', async function replaceUser(ctx) {
    const input = await ctx.validate(userInputSchema, 'body');
    const result = await store.replace(ctx.param('id'), input);
    if (!result.ok) throw writeFailure(result.reason, store.maxUsers);
    if (cache !== undefined) await forgetUserLists(cache);
    ctx.json(200, result.user);
  });

  router.delete('/users/:id', async function deleteUser(ctx) {
    if (!(await store.remove(ctx.param('id')))) throw userNotFound();
    if (cache !== undefined) await forgetUserLists(cache);
    ctx.respond(204);
  });
}
