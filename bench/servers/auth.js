/**
 * Shared by the auth HTTP suites (`auth-*.js`) and bench/run.js: one HS256
 * secret, one access token every server accepts (RFC 9068 shape: `typ`
 * at+jwt, `kid`, `iss`, `aud`, `sub`, `roles: ['admin']`, an `exp` far
 * ahead), built deterministically here so the parent and every server
 * process agree without talking — and the checks of each answer.
 *
 * Repeated tokens are the case measured: one client, one token, as an SPA
 * or a service sends it until it expires.
 */
import { createHmac } from 'node:crypto';
import { checkPayload } from './payload.js';

export const SECRET = 'bench-only-hs256-secret-0123456789abcdef';
export const ISSUER = 'https://auth.bench.example/';
export const AUDIENCE = 'api://bench';
export const KID = 'bench-1';

/** @param {unknown} value */
const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * The benchmark's token with header `typ`.
 *
 * @param {string} typ
 * @returns {string}
 */
function token(typ) {
  const signingInput = `${part({ alg: 'HS256', typ, kid: KID })}.${part({ iss: ISSUER, aud: AUDIENCE, sub: 'user-1', iat: 1_796_000_000, exp: 4_102_444_800, jti: 'bench-jti-1', roles: ['admin'] })}`;
  return `${signingInput}.${createHmac('sha256', SECRET).update(signingInput).digest('base64url')}`;
}

/** The one access token of the benchmark. */
export const TOKEN = token('at+jwt');

/** What the load generator sends with every request. */
export const AUTH_HEADERS = Object.freeze({ authorization: `Bearer ${TOKEN}` });

/** hono/jwt refuses any `typ` but `JWT` (JwtHeaderInvalid): its suite sends the same token typed so. */
export const HONO_AUTH_HEADERS = Object.freeze({ authorization: `Bearer ${token('JWT')}` });

/** jwtAuth's options for this token (ward variants). */
export const JWT_OPTIONS = Object.freeze({ algorithms: /** @type {['HS256']} */ (['HS256']), secrets: [{ kid: KID, secret: SECRET }], issuer: ISSUER, audience: AUDIENCE });

/** The role policy of the ward variants: the route needs `admin`. */
export const ROLES = Object.freeze({ user: { permissions: ['orders:read'] }, admin: { inherits: ['user'], permissions: ['admin:*'] } });

/**
 * The answer with the token: the payload.
 *
 * @param {number} status
 * @param {string} body
 * @returns {string | undefined}
 */
export function checkAllowed(status, body) {
  return checkPayload(status, body);
}

/**
 * The answer without a token: any 401 (never a server that lets everyone in).
 *
 * @param {number} status
 * @returns {string | undefined}
 */
export function checkRefused(status) {
  return status === 401 ? undefined : `expected 401 without a token, got ${status}: this variant does not authenticate`;
}
