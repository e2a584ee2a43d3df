/**
 * The response cache of `GET /api/v1/users`, shared by the engine, Express
 * and Fastify examples. The API is behind sign-in, so entries are per user
 * (`perUser`: the key holds the user id, one user never gets another's
 * answer); the list says `private, max-age=10` (a browser may keep it too)
 * and is tagged `users`, which every write invalidates — on every process
 * when the store is Redis.
 */
import { createResponseCache } from '@ward/cache';

/** The list's own Cache-Control: a user's private copy, fresh for 10 s. */
export const USERS_CACHE_CONTROL = 'private, max-age=10';
/** The tag of every cached list page. */
export const USERS_TAG = 'users';

/**
 * @param {{ store?: import('@ward/cache').CacheStore, registry?: import('@ward/metrics').MetricsRegistry }} options
 * @returns {import('@ward/cache').ResponseCache}
 */
export function createUsersCache({ store, registry }) {
  return createResponseCache({ name: 'users', perUser: true, staleIfError: 30, ...(store === undefined ? {} : { store }), ...(registry === undefined ? {} : { registry }) });
}

/**
 * Forgets every cached list page after a write; a store failure is logged,
 * not answered (the write happened; pages expire within 10 s anyway).
 *
 * @param {import('@ward/cache').ResponseCache} cache
 */
export async function forgetUserLists(cache) {
  try {
    await cache.invalidateTag(USERS_TAG);
  } catch (error) {
    console.error('[example] the users cache could not be invalidated:', error instanceof Error ? error.message : error);
  }
}

/**
 * Every write to the user store — the users routes', and the account
 * service's (register, a profile update, a seeded account) — forgets the
 * cached list pages, so a new or renamed user never waits for them to expire.
 *
 * @param {import('./store.js').UserStore} store
 * @param {import('@ward/cache').ResponseCache} cache
 */
export function forgetListsOnWrites(store, cache) {
  store.onChange(() => forgetUserLists(cache));
}
