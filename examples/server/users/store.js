/**
 * The example's user store: in memory, bounded, with a unique index on the
 * e-mail address (case-insensitive). Async on purpose, so a Redis-backed
 * store can take its place later without touching the routes.
 *
 * Decisions are result objects (`{ ok: false, reason }`), not exceptions:
 * a taken e-mail or a full store is an ordinary outcome the routes turn
 * into a 409 or a 507.
 */
import { randomUUID } from 'node:crypto';

/**
 * @typedef {'admin' | 'user' | 'guest'} Role
 *
 * @typedef {object} UserInput what a client sends (validated by users/schema.js)
 * @property {string} name 3–50 characters
 * @property {string} email a valid address, unique (case-insensitive)
 * @property {number} age integer 18–120
 * @property {Role} role
 *
 * @typedef {object} UserRecord
 * @property {string} id
 * @property {string} createdAt ISO 8601
 * @property {string} updatedAt ISO 8601
 *
 * @typedef {Readonly<UserInput & UserRecord>} User a stored user (frozen)
 *
 * @typedef {'email-taken' | 'full' | 'not-found'} WriteFailure
 * @typedef {{ ok: true, user: User } | { ok: false, reason: WriteFailure }} WriteResult
 *
 * @typedef {object} Page
 * @property {User[]} items the users of the page, oldest first
 * @property {number} total users in the store
 */

/**
 * @typedef {object} UserStore
 * @property {number} maxUsers the bound
 * @property {() => Promise<number>} count
 * @property {(listener: () => unknown) => () => void} onChange calls `listener` after every write (create, replace, remove), awaited before the write resolves; returns the unsubscribe
 * @property {(id: string) => Promise<User | undefined>} get
 * @property {(email: string) => Promise<User | undefined>} findByEmail case-insensitive
 * @property {(query: { page: number, limit: number }) => Promise<Page>} list 1-based `page`; a page past the end is empty
 * @property {(input: UserInput) => Promise<WriteResult>} create fails with `email-taken` or `full`
 * @property {(id: string, input: UserInput) => Promise<WriteResult>} replace fails with `not-found` or `email-taken`
 * @property {(id: string) => Promise<boolean>} remove false when there was no such user
 */

/**
 * @typedef {object} UserStoreOptions
 * @property {number} [maxUsers] most users held; `create` answers `full` beyond. Default: 10 000.
 * @property {() => number} [now] clock, milliseconds since the epoch. Default: `Date.now`.
 * @property {() => string} [newId] id generator. Default: `crypto.randomUUID`.
 */

/** Default bound of {@link createUserStore}. */
export const DEFAULT_MAX_USERS = 10_000;

/**
 * Creates an in-memory user store.
 *
 * @param {UserStoreOptions} [options]
 * @returns {UserStore}
 * @example
 * const store = createUserStore({ maxUsers: 1000 });
 * const result = await store.create({ name: 'Ada', email: 'ada@example.com', age: 36, role: 'admin' });
 */
export function createUserStore(options = {}) {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`createUserStore(options): options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const maxUsers = options.maxUsers ?? DEFAULT_MAX_USERS;
  if (typeof maxUsers !== 'number') {
    throw new TypeError(`maxUsers must be a number, got ${typeof maxUsers}. Pass e.g. { maxUsers: 10000 }`);
  }
  if (!Number.isSafeInteger(maxUsers) || maxUsers < 1) {
    throw new RangeError(`maxUsers must be a positive integer, got ${maxUsers}. Pass e.g. { maxUsers: 10000 }`);
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError(`now must be a function returning milliseconds, got ${typeof now}`);
  const newId = options.newId ?? randomUUID;
  if (typeof newId !== 'function') throw new TypeError(`newId must be a function returning a string, got ${typeof newId}`);

  /** @type {Set<() => unknown>} told after every write, awaited before the write resolves */
  const listeners = new Set();
  const changed = async () => {
    for (const listener of listeners) await listener();
  };
  /** @type {Map<string, User>} by id, in creation order */
  const users = new Map();
  /** @type {Map<string, string>} lower-cased e-mail → id */
  const byEmail = new Map();

  /**
   * @param {string} id
   * @param {UserInput} input
   * @param {string} createdAt
   * @returns {User}
   */
  function record(id, input, createdAt) {
    return Object.freeze({
      id,
      name: input.name,
      email: input.email,
      age: input.age,
      role: input.role,
      createdAt,
      updatedAt: new Date(now()).toISOString(),
    });
  }

  return {
    maxUsers,
    async count() {
      return users.size;
    },
    async get(id) {
      return users.get(id);
    },
    async findByEmail(email) {
      const id = byEmail.get(email.toLowerCase());
      return id === undefined ? undefined : users.get(id);
    },
    async list({ page, limit }) {
      /** @type {User[]} */
      const items = [];
      const skip = (page - 1) * limit;
      if (skip < users.size) {
        let index = 0;
        for (const user of users.values()) {
          if (index++ < skip) continue;
          items.push(user);
          if (items.length === limit) break;
        }
      }
      return { items, total: users.size };
    },
    async create(input) {
      const emailKey = input.email.toLowerCase();
      if (byEmail.has(emailKey)) return { ok: false, reason: 'email-taken' };
      if (users.size >= maxUsers) return { ok: false, reason: 'full' };
      const id = newId();
      if (typeof id !== 'string' || id === '' || users.has(id)) {
        throw new Error(`newId() must return a fresh, non-empty string, got ${JSON.stringify(id)}`);
      }
      const user = record(id, input, new Date(now()).toISOString());
      users.set(id, user);
      byEmail.set(emailKey, id);
      await changed();
      return { ok: true, user };
    },
    async replace(id, input) {
      const prior = users.get(id);
      if (prior === undefined) return { ok: false, reason: 'not-found' };
      const emailKey = input.email.toLowerCase();
      const owner = byEmail.get(emailKey);
      if (owner !== undefined && owner !== id) return { ok: false, reason: 'email-taken' };
      const user = record(id, input, prior.createdAt);
      users.set(id, user);
      byEmail.delete(prior.email.toLowerCase());
      byEmail.set(emailKey, id);
      await changed();
      return { ok: true, user };
    },
    async remove(id) {
      const prior = users.get(id);
      if (prior === undefined) return false;
      users.delete(id);
      byEmail.delete(prior.email.toLowerCase());
      await changed();
      return true;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
