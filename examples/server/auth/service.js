/**
 * The example's accounts and sessions, shared by the three apps: register,
 * login, refresh, logout and the profile, as plain functions returning
 * `{ status, body, headers }` that each framework sends its own way (the
 * engine with `ctx.json`, Express with `res.status().set().json()`, Fastify
 * with `reply.code().headers().send()`).
 *
 * - Accounts are the user store's users; their passwords are scrypt hashes
 *   kept apart (passwords.js), never in a user record or an answer.
 * - A login answers the access token in the body (`access_token`,
 *   `token_type`, `expires_in`, RFC 6749 §5.1) and the refresh token only
 *   in an `HttpOnly; Secure; SameSite=Strict` cookie scoped to
 *   `/api/auth` (`__Secure-refresh_token`): page scripts never see it.
 * - Refresh and logout read that cookie, so they are cross-site-request
 *   targets: a request whose `Origin` is neither ours nor an allowed CORS
 *   origin is refused (403), whatever SameSite does (OWASP CSRF).
 * - Every answer carrying tokens is `Cache-Control: no-store` (RFC 6749 §5.1).
 */
import { HttpError } from '@ward/core';
import { MemoryRefreshStore, MemoryRevocationStore, clearRefreshTokenCookie, createTokenService, isAuthError, readCookie, refreshCookieName, refreshTokenCookie } from '@ward/auth';
import { hashPassword, verifyPassword } from './passwords.js';

/** Where the refresh cookie is sent: the auth routes only. */
export const AUTH_PATH = '/api/auth';
const COOKIE = { path: AUTH_PATH };
export const REFRESH_COOKIE = refreshCookieName(COOKIE);
const NO_STORE = 'no-store';

/** The issuer and audience of the example's access tokens. */
export const ISSUER = 'urn:ward:example';
export const AUDIENCE = 'urn:ward:example:api';

/**
 * @typedef {{ status: number, body?: unknown, headers: Record<string, string | string[]> }} Answer
 *
 * @typedef {object} ExampleAuthOptions
 * @property {import('../users/store.js').UserStore} users the accounts
 * @property {string | Uint8Array} secret the HS256 signing secret (≥ 32 bytes)
 * @property {import('@ward/auth').RefreshStore} [refreshStore] Default: memory.
 * @property {import('@ward/auth').RevocationStore} [revocation] Default: memory.
 * @property {readonly string[]} [allowedOrigins] origins allowed to call refresh/logout from a browser (the CORS list).
 * @property {() => number} [now] clock, ms. Default: `Date.now`.
 * @property {(event: import('@ward/auth').TokenServiceEvent) => void} [onEvent] security events. Default: one JSON line on stderr.
 */

/**
 * @param {ExampleAuthOptions} options
 */
export function createExampleAuth({ users, secret, refreshStore = new MemoryRefreshStore(), revocation = new MemoryRevocationStore(), allowedOrigins = [], now = Date.now, onEvent }) {
  const tokens = createTokenService({
    issuer: ISSUER,
    audience: AUDIENCE,
    signingKey: { kid: 'example-1', alg: 'HS256', secret },
    store: refreshStore,
    revocation,
    now,
    onEvent: onEvent ?? ((event) => console.error(JSON.stringify({ log: 'security', ...event }))),
  });
  /** @type {Map<string, string>} user id → scrypt hash; kept to the user store's bound by {@link setPassword} */
  const passwords = new Map();

  /**
   * Records a password, and forgets those of deleted users once the map
   * outgrows the user store (DESIGN rule 9: nothing grows without bound).
   *
   * @param {string} id
   * @param {string} password
   */
  async function setPassword(id, password) {
    passwords.set(id, await hashPassword(password));
    if (passwords.size <= users.maxUsers) return;
    for (const known of [...passwords.keys()]) if ((await users.get(known)) === undefined) passwords.delete(known);
  }

  /**
   * @param {import('@ward/auth').TokenPair} pair
   * @param {number} status
   * @param {Record<string, unknown>} [extra]
   * @returns {Answer}
   */
  function tokenAnswer(pair, status, extra = {}) {
    return {
      status,
      body: { ...extra, access_token: pair.accessToken, token_type: pair.tokenType, expires_in: pair.expiresIn },
      headers: { 'cache-control': NO_STORE, 'set-cookie': refreshTokenCookie(pair.refreshToken, pair.refreshTokenExpiresAt, COOKIE, now()) },
    };
  }

  /** @param {import('../users/store.js').User} user */
  const login = (user) => tokens.issue(user.id, { roles: [user.role] });

  /**
   * Refuses a cookie-authenticated request from a foreign page.
   *
   * @param {string | undefined} origin the request's `Origin`
   * @param {string | undefined} host the request's `Host`
   */
  function checkOrigin(origin, host) {
    if (origin === undefined) return; // not a browser's cross-origin request
    let sameHost = false;
    try {
      sameHost = new URL(origin).host === host;
    } catch {
      sameHost = false;
    }
    // '*' (any origin may read the API) does not extend to cookie-authenticated writes.
    if (sameHost || allowedOrigins.includes(origin)) return;
    throw new HttpError(403, { code: 'CROSS_SITE_REQUEST', detail: 'This request must come from the application itself' });
  }

  /**
   * A refresh-token failure: 401 `invalid_grant` problem, and the cookie cleared.
   *
   * @param {unknown} error
   * @returns {HttpError}
   */
  function refreshRefused(error) {
    if (isAuthError(error) && error.code === 'REFRESH_STORE_UNAVAILABLE') return new HttpError(503, { code: error.code, headers: { 'retry-after': '1' }, cause: error });
    const code = isAuthError(error) ? error.code : 'REFRESH_TOKEN_INVALID';
    return new HttpError(401, {
      code,
      detail: code === 'REFRESH_TOKEN_REUSED' ? 'This refresh token was already used; sign in again' : 'Sign in again',
      extensions: { error: 'invalid_grant' },
      headers: { 'set-cookie': clearRefreshTokenCookie(COOKIE), 'cache-control': NO_STORE },
    });
  }

  return {
    tokens,
    revocation,
    /** How many password hashes are held (never more than the user store's bound, plus one). */
    storedPasswords: () => passwords.size,
    /** The jwtAuth options that verify these tokens. */
    // Fail closed: while the revocation list cannot be asked, no token is accepted unchecked.
    verification: () => ({ ...tokens.verification(), revocation, revocationFailureMode: /** @type {const} */ ('closed'), now }),

    /**
     * `POST /api/auth/register`: a new `user` account, signed in at once.
     *
     * @param {{ name: string, email: string, age: number, password: string }} input validated by registerSchema
     * @returns {Promise<Answer>}
     */
    async register({ password, ...profile }) {
      const result = await users.create({ ...profile, role: 'user' });
      if (!result.ok) {
        if (result.reason === 'email-taken') throw new HttpError(409, { code: 'EMAIL_TAKEN', detail: 'Another user already has this email address' });
        throw new HttpError(507, { code: 'USER_STORE_FULL', detail: 'No more accounts can be created', expose: true });
      }
      await setPassword(result.user.id, password);
      const answer = tokenAnswer(await login(result.user), 201, { user: result.user });
      return { ...answer, headers: { ...answer.headers, location: '/api/users/profile' } };
    },

    /**
     * Creates (or resets) an account with a role, for main.js's ADMIN_EMAIL and for tests.
     *
     * @param {{ name: string, email: string, age: number, role: 'admin' | 'user' | 'guest', password: string }} input
     */
    async seed({ password, ...profile }) {
      const existing = await users.findByEmail(profile.email);
      const result = existing === undefined ? await users.create(profile) : await users.replace(existing.id, profile);
      if (!result.ok) throw new Error(`seeding ${profile.email} failed: ${result.reason}`);
      await setPassword(result.user.id, password);
      return result.user;
    },

    /**
     * `POST /api/auth/login`: one answer for an unknown e-mail and a wrong
     * password, after the same scrypt work (no account enumeration).
     *
     * @param {{ email: string, password: string }} input validated by loginSchema
     * @returns {Promise<Answer>}
     */
    async login({ email, password }) {
      const user = await users.findByEmail(email);
      const ok = await verifyPassword(password, user === undefined ? undefined : passwords.get(user.id));
      if (!ok || user === undefined) throw new HttpError(401, { code: 'INVALID_CREDENTIALS', detail: 'The email or password is wrong', headers: { 'cache-control': NO_STORE } });
      return tokenAnswer(await login(user), 200);
    },

    /**
     * `POST /api/auth/refresh`: the cookie's token spent for a new pair.
     *
     * @param {{ cookie?: string, origin?: string, host?: string }} request
     * @returns {Promise<Answer>}
     */
    async refresh({ cookie, origin, host }) {
      checkOrigin(origin, host);
      const token = cookie === undefined ? undefined : readCookie(cookie, REFRESH_COOKIE);
      try {
        return tokenAnswer(await tokens.refresh(token), 200);
      } catch (error) {
        throw refreshRefused(error);
      }
    },

    /**
     * `POST /api/auth/logout`: the cookie's family revoked, the access
     * token of the request too (when one came), the cookie cleared.
     *
     * @param {{ cookie?: string, origin?: string, host?: string, user?: import('@ward/auth').AuthUser }} request
     * @returns {Promise<Answer>}
     */
    async logout({ cookie, origin, host, user }) {
      checkOrigin(origin, host);
      const token = cookie === undefined ? undefined : readCookie(cookie, REFRESH_COOKIE);
      await tokens.logout(token);
      if (user !== undefined) await tokens.revokeAccessToken(user);
      return { status: 204, headers: { 'set-cookie': clearRefreshTokenCookie(COOKIE), 'clear-site-data': '"cookies"', 'cache-control': NO_STORE } };
    },

    /**
     * `GET /api/users/profile`.
     *
     * @param {import('@ward/auth').AuthUser} who
     * @returns {Promise<Answer>}
     */
    async profile(who) {
      const user = await users.get(who.id);
      if (user === undefined) throw new HttpError(404, { code: 'USER_NOT_FOUND', detail: 'This account no longer exists' });
      return { status: 200, body: user, headers: { 'cache-control': 'private, no-store' } };
    },

    /**
     * `PUT /api/users/profile`: name, e-mail and age; the role stays.
     *
     * @param {import('@ward/auth').AuthUser} who
     * @param {{ name: string, email: string, age: number }} input validated by profileSchema
     * @returns {Promise<Answer>}
     */
    async updateProfile(who, input) {
      const user = await users.get(who.id);
      if (user === undefined) throw new HttpError(404, { code: 'USER_NOT_FOUND', detail: 'This account no longer exists' });
      const result = await users.replace(who.id, { ...input, role: user.role });
      if (!result.ok) throw new HttpError(409, { code: 'EMAIL_TAKEN', detail: 'Another user already has this email address' });
      return { status: 200, body: result.user, headers: { 'cache-control': 'private, no-store' } };
    },

    /**
     * `GET /api/v1/admin/dashboard` and `/stats`.
     *
     * @param {'dashboard' | 'stats'} which
     * @returns {Promise<Answer>}
     */
    async admin(which) {
      const { items, total } = await users.list({ page: 1, limit: Math.max(1, users.maxUsers) });
      if (which === 'dashboard') return { status: 200, body: { users: total, capacity: users.maxUsers }, headers: { 'cache-control': 'no-store' } };
      /** @type {Record<string, number>} */
      const byRole = { admin: 0, user: 0, guest: 0 };
      for (const user of items) byRole[user.role] = (byRole[user.role] ?? 0) + 1;
      return { status: 200, body: { users: total, byRole }, headers: { 'cache-control': 'no-store' } };
    },
  };
}

/** @typedef {ReturnType<typeof createExampleAuth>} ExampleAuth */
