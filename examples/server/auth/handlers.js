/**
 * The auth routes as ward handlers — plain `(ctx) => …` middleware that
 * answer — so the engine, Express (`app.post(path, ward([handler]))`) and
 * Fastify (a ward plugin in the route's scope) run the very same code, with
 * the user `jwtAuth` put on `ctx.state` by the app's chain.
 *
 * | route | answer |
 * | --- | --- |
 * | POST /api/auth/register | 201 `{ user, access_token, token_type, expires_in }` + refresh cookie; 400; 409 `EMAIL_TAKEN` |
 * | POST /api/auth/login | 200 tokens + refresh cookie; 401 `INVALID_CREDENTIALS` |
 * | POST /api/auth/refresh | 200 new tokens + new cookie; 401 `REFRESH_TOKEN_INVALID` / `REFRESH_TOKEN_REUSED`; 403 `CROSS_SITE_REQUEST` |
 * | POST /api/auth/logout | 204, cookie cleared, the login and the access token revoked |
 * | GET /api/users/profile, PUT | the signed-in user (401 without a token) |
 * | GET /api/v1/admin/dashboard, /stats | role `admin` (403 `FORBIDDEN` for others) |
 */
import { validate } from '../users/validate.js';
import { loginSchema, profileSchema, registerSchema } from './schema.js';

/**
 * @typedef {import('@ward/core').Context} Context
 * @typedef {import('./service.js').Answer} Answer
 * @typedef {(ctx: Context) => Promise<void>} Handler
 */

/**
 * @param {Context} ctx
 * @param {Answer} answer
 */
function send(ctx, answer) {
  if (answer.body === undefined) ctx.respond(answer.status, null, answer.headers);
  else ctx.json(answer.status, answer.body, answer.headers);
}

/** @param {Context} ctx */
const browser = (ctx) => ({ cookie: ctx.req.header('cookie'), origin: ctx.req.header('origin'), host: ctx.req.header('host') });

/** @param {Context} ctx */
const signedIn = (ctx) => /** @type {import('@ward/auth').AuthUser} */ (ctx.state.user);

/**
 * @param {import('./service.js').ExampleAuth} auth
 */
export function authHandlers(auth) {
  return {
    /** @type {Handler} */
    async register(ctx) {
      send(ctx, await auth.register(await validate(registerSchema, await ctx.req.body(), 'body')));
    },
    /** @type {Handler} */
    async login(ctx) {
      send(ctx, await auth.login(await validate(loginSchema, await ctx.req.body(), 'body')));
    },
    /** @type {Handler} */
    async refresh(ctx) {
      send(ctx, await auth.refresh(browser(ctx)));
    },
    /** @type {Handler} */
    async logout(ctx) {
      send(ctx, await auth.logout({ ...browser(ctx), user: ctx.state.user }));
    },
    /** @type {Handler} */
    async getProfile(ctx) {
      send(ctx, await auth.profile(signedIn(ctx)));
    },
    /** @type {Handler} */
    async putProfile(ctx) {
      send(ctx, await auth.updateProfile(signedIn(ctx), await validate(profileSchema, await ctx.req.body(), 'body')));
    },
    /** @type {Handler} */
    async dashboard(ctx) {
      send(ctx, await auth.admin('dashboard'));
    },
    /** @type {Handler} */
    async stats(ctx) {
      send(ctx, await auth.admin('stats'));
    },
  };
}

/** The routes, for the apps to mount: [method, path, handler name]. */
export const AUTH_ROUTES = /** @type {const} */ ([
  ['POST', '/api/auth/register', 'register'],
  ['POST', '/api/auth/login', 'login'],
  ['POST', '/api/auth/refresh', 'refresh'],
  ['POST', '/api/auth/logout', 'logout'],
]);
