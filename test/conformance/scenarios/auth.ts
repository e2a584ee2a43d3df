/**
 * Scenarios: @ward/auth's jwtAuth on every adapter — a valid bearer token
 * reaches the handler with ctx.state.user (and code after next() still
 * sees it), the exact 401 problems with their RFC 6750 challenges for a
 * missing, expired, forged and malformed token, the optional mode, and
 * rateLimit keyed by the authenticated user after jwtAuth.
 *
 * Tokens are HMAC'd by hand (node:crypto) at load time, on a fixed clock.
 */
import type { Middleware } from '@ward/core';
import { type JwtAuthOptions, jwtAuth } from '@ward/auth';
import { MemoryStore, rateLimit } from '@ward/rate-limit';
import { Registry } from 'prom-client';
import type { Scenario } from '../harness.js';
import { TEXT_BODY } from '../probe.js';
import { AUDIENCE, ISSUER, NOW_MS, NOW_S, claims, handMade } from '../../auth/tokens.js';

const HEADER = { alg: 'HS256', typ: 'at+jwt', kid: 'k1' };
const ALICE = handMade(HEADER, claims({ sub: 'alice', roles: ['admin'] }));
const BOB = handMade(HEADER, claims({ sub: 'bob', roles: [] }));
const EXPIRED = handMade(HEADER, claims({ exp: NOW_S - 1 }));
const FORGED = handMade(HEADER, claims({ sub: 'alice' }), 'not-the-secret-but-long-enough-0123456789');

const auth = (extra: Partial<JwtAuthOptions> = {}): Middleware =>
  jwtAuth({ algorithms: ['HS256'], secrets: [{ kid: 'k1', secret: 'tests-only-hs256-secret-0123456789abcdef' }], issuer: ISSUER, audience: AUDIENCE, now: () => NOW_MS, registry: new Registry(), ...extra });

/** Sets `x-user` after next(): proves the user is still there on the way out. */
const userAfterNext: Middleware = async (ctx, next) => {
  await next();
  ctx.res.setHeader('x-user', ctx.state.user?.id ?? 'anonymous');
};

const problem401 = (code: string, detail: string) => ({ type: `urn:ward:problem:${code.toLowerCase().replace(/_/g, '-')}`, title: 'Unauthorized', status: 401, code, detail });
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

export const AUTH: readonly Scenario[] = [
  {
    name: 'auth: a valid bearer token reaches the handler; ctx.state.user is set and still there after next()',
    chain: () => [userAfterNext, auth()],
    exchanges: [{ path: '/text', request: bearer(ALICE), expect: { status: 200, text: TEXT_BODY, headers: { 'x-user': 'alice', 'www-authenticate': null } } }],
    counts: { text: 1 },
  },
  {
    name: 'auth: missing, expired, forged and malformed tokens get their exact 401 problems and challenges; the handler never runs',
    chain: () => [auth()],
    exchanges: [
      { path: '/text', expect: { status: 401, headers: { 'www-authenticate': 'Bearer realm="api"' }, problem: problem401('TOKEN_MISSING', 'This resource needs a bearer token') } },
      { path: '/text', request: bearer(EXPIRED), expect: { status: 401, headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_token"' }, problem: problem401('TOKEN_EXPIRED', 'The access token has expired') } },
      { path: '/text', request: bearer(FORGED), expect: { status: 401, headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_token"' }, problem: problem401('TOKEN_INVALID', 'The access token is not valid') } },
      {
        path: '/created',
        request: { method: 'POST', headers: { authorization: `Bearer ${ALICE}, Bearer ${BOB}` } },
        expect: { status: 401, headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_request"' }, problem: problem401('CREDENTIALS_MALFORMED', 'The credentials are malformed: send one bearer token, in one place') },
      },
    ],
    counts: {},
  },
  {
    name: 'auth: optional mode lets anonymous requests through, still refuses a bad or malformed token',
    chain: () => [userAfterNext, auth({ optional: true })],
    exchanges: [
      { path: '/text', expect: { status: 200, text: TEXT_BODY, headers: { 'x-user': 'anonymous' } } },
      { path: '/text', request: bearer(BOB), expect: { status: 200, text: TEXT_BODY, headers: { 'x-user': 'bob' } } },
      { path: '/text', request: bearer(FORGED), expect: { status: 401, problem: problem401('TOKEN_INVALID', 'The access token is not valid') } },
      // A tab after the scheme is a malformed bearer credential, not an absent one: refused, not let through anonymously.
      { path: '/text', request: { headers: { authorization: `Bearer\t${BOB}` } }, expect: { status: 401, problem: problem401('CREDENTIALS_MALFORMED', 'The credentials are malformed: send one bearer token, in one place') } },
    ],
    counts: { text: 2 },
  },
  {
    name: 'auth: a rate limit after jwtAuth counts per user, not per address',
    chain: () => [auth(), rateLimit({ policies: [{ name: 'user', limit: 1, windowMs: 60_000 }], store: new MemoryStore({ now: () => NOW_MS }), registry: new Registry() })],
    exchanges: [
      { path: '/text', request: bearer(ALICE), expect: { status: 200, headers: { ratelimit: '"user";r=0;t=60' } } },
      { path: '/text', request: bearer(BOB), expect: { status: 200, headers: { ratelimit: '"user";r=0;t=60' } } },
      { path: '/text', request: bearer(ALICE), expect: { status: 429, headers: { 'retry-after': '60' } } },
    ],
    counts: { text: 2 },
  },
];
