/**
 * jwtAuth() through real HTTP on every stack (engine, Express 5 and 4,
 * Fastify 5): where tokens are read (Bearer in any case, a cookie, never
 * the query), the exact 401 answers with their RFC 6750 challenges, the
 * optional mode, revocation, and the counters. Nothing a client sends
 * reaches a 5xx.
 */
import type { Middleware } from '@ward/core';
import { request } from '@ward/core/testing';
import { type JwtAuthOptions, MemoryRevocationStore, jwtAuth } from '@ward/auth';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApp, STACKS } from '../timeout/stacks.js';
import { AUDIENCE, ISSUER, NOW_MS, NOW_S, SECRET, claims, handMade, hs256, rawToken } from './tokens.js';

/** Echoes who the request is from, so a test sees what jwtAuth set. */
const whoAmI: Middleware = async (ctx, next) => {
  ctx.res.setHeader('x-user', ctx.state.user === undefined ? 'anonymous' : `${ctx.state.user.id}:${ctx.state.user.roles.join(',')}`);
  await next();
};

const options = (extra: Partial<JwtAuthOptions> = {}): JwtAuthOptions => ({
  algorithms: ['HS256'],
  secrets: [{ kid: 'k1', secret: SECRET }],
  issuer: ISSUER,
  audience: AUDIENCE,
  now: () => NOW_MS,
  ...extra,
});

const challenge = (error?: string) => (error === undefined ? 'Bearer realm="api"' : `Bearer realm="api", error="${error}"`);

for (const stack of STACKS) {
  describe(`jwtAuth on ${stack.name}`, () => {
    const registry = new Registry();
    const revocation = new MemoryRevocationStore({ now: () => NOW_MS });
    let app: RunningApp;
    let valid: string;
    beforeAll(async () => {
      valid = await hs256();
      const required = jwtAuth(options({ registry, revocation }));
      const optional = jwtAuth(options({ registry: new Registry(), optional: true }));
      const cookie = jwtAuth(options({ registry: new Registry(), from: { cookie: 'access_token' } }));
      const cookieOnly = jwtAuth(options({ registry: new Registry(), from: { header: false, cookie: 'access_token' } }));
      const route: Middleware = (ctx, next) => {
        const path = ctx.req.path;
        if (path.startsWith('/optional')) return optional(ctx, next);
        if (path.startsWith('/cookie-only')) return cookieOnly(ctx, next);
        if (path.startsWith('/cookie')) return cookie(ctx, next);
        return required(ctx, next);
      };
      app = await stack.start({
        chain: [route, whoAmI],
        routes: Object.fromEntries(['/me', '/optional', '/cookie', '/cookie-only', '/boom'].map((path) => [path, (io) => (path === '/boom' ? Promise.reject(new Error('handler failed')) : io.json(200, { ok: true }))])),
      });
    });
    afterAll(() => app.close());

    const get = (path: string, headers: Record<string, string> | readonly string[] = {}) => request(`${app.url}${path}`, { headers });

    async function expect401(res: Awaited<ReturnType<typeof get>>, code: string, error?: string): Promise<void> {
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(challenge(error));
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-user']).toBeUndefined();
      const body = res.json() as Record<string, unknown>;
      expect(body).toMatchObject({ status: 401, code });
      // No oracle beyond the RFC 6750 code, no internals.
      expect(JSON.stringify(body)).not.toMatch(/signature|jose|JWS|stack|at /i);
    }

    it('a valid Bearer token: 200 and ctx.state.user', async () => {
      const res = await get('/me', { authorization: `Bearer ${valid}` });
      expect(res.status).toBe(200);
      expect(res.headers['x-user']).toBe('user-1:editor');
    });

    it('the scheme in any case is accepted (bearer, BEARER)', async () => {
      for (const scheme of ['bearer', 'BEARER', 'BeArEr']) expect((await get('/me', { authorization: `${scheme} ${valid}` })).headers['x-user']).toBe('user-1:editor');
    });

    it('no credentials: 401 TOKEN_MISSING, a challenge without error; another scheme counts as none', async () => {
      await expect401(await get('/me'), 'TOKEN_MISSING');
      await expect401(await get('/me', { authorization: 'Basic dXNlcjpwYXNz' }), 'TOKEN_MISSING');
      await expect401(await get('/me', { authorization: `Bearerish ${valid}` }), 'TOKEN_MISSING');
      await expect401(await get(`/me?access_token=${valid}`), 'TOKEN_MISSING');
    });

    it.each([
      ['an empty Bearer', 'Bearer'],
      ['Bearer and a space', 'Bearer '],
      ['two spaces', 'Bearer  TOKEN'],
      ['a tab after the scheme', 'Bearer\tTOKEN'],
      ['a comma after the scheme', 'Bearer,TOKEN'],
      ['two Bearer values in one field', 'Bearer TOKEN, Bearer TOKEN'],
      ['two tokens', 'Bearer TOKEN TOKEN'],
      ['a quote in the token', 'Bearer "TOKEN"'],
    ])('%s: 401 CREDENTIALS_MALFORMED, error="invalid_request"', async (_name, value) => {
      await expect401(await get('/me', { authorization: value.replaceAll('TOKEN', valid) }), 'CREDENTIALS_MALFORMED', 'invalid_request');
    });

    it('two Authorization fields: 401 CREDENTIALS_MALFORMED, neither is picked', async () => {
      await expect401(await get('/me', ['Authorization', `Bearer ${valid}`, 'Authorization', `Bearer ${valid}`]), 'CREDENTIALS_MALFORMED', 'invalid_request');
    });

    it.each([
      ['alg none', async () => handMade({ alg: 'none', typ: 'at+jwt' }, claims())],
      ['a tampered payload', async () => `${valid.split('.')[0]}.${Buffer.from(JSON.stringify(claims({ roles: ['admin'] }))).toString('base64url')}.${valid.split('.')[2]}`],
      ['a wrong issuer', () => hs256(claims({ iss: 'https://evil.example/' }))],
      ['a wrong audience', () => hs256(claims({ aud: 'api://other' }))],
      ['not yet valid', () => hs256(claims({ nbf: NOW_S + 120 }))],
      ['an unknown kid', () => hs256(claims(), { kid: 'k9' })],
      ['garbage base64', async () => 'abc.def.ghi'],
      ['a 12 KB token (over the 8 KiB cap)', async () => handMade({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' }, claims({ pad: 'x'.repeat(12_000) }))],
      // RFC 7519 §4: duplicate member names are refused, never "the last one wins" (sub: admin).
      ['a claim named twice', async () => rawToken('{"alg":"HS256","typ":"at+jwt","kid":"k1"}', JSON.stringify(claims()).replace(/}$/, ',"sub":"admin"}'))],
      ['a header member named twice', async () => rawToken('{"alg":"none","typ":"at+jwt","kid":"k1","alg":"HS256"}', JSON.stringify(claims()))],
      ['a claim named twice through an escape', async () => rawToken('{"alg":"HS256","typ":"at+jwt","kid":"k1"}', JSON.stringify(claims()).replace(/}$/, ',"s\\u0075b":"admin"}'))],
      // RFC 7797: an unencoded payload is never ours, whatever crit says (jose ignores b64 outside crit).
      ['a b64 header outside crit', async () => handMade({ alg: 'HS256', typ: 'at+jwt', kid: 'k1', b64: false }, claims())],
      ['a jti that is no string (it could never be revoked)', async () => handMade({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' }, claims({ jti: 12345 as unknown as string }))],
      ['a sid that is no string (its session could never revoke it)', async () => handMade({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' }, claims({ sid: ['s1'] as unknown as string }))],
    ])('%s: 401 TOKEN_INVALID, error="invalid_token"', async (_name, make) => {
      await expect401(await get('/me', { authorization: `Bearer ${await make()}` }), 'TOKEN_INVALID', 'invalid_token');
    });

    it('an expired token: 401 TOKEN_EXPIRED, error="invalid_token"', async () => {
      await expect401(await get('/me', { authorization: `Bearer ${await hs256(claims({ exp: NOW_S - 1 }))}` }), 'TOKEN_EXPIRED', 'invalid_token');
    });

    it('a revoked token: 401 TOKEN_REVOKED; its sibling still passes', async () => {
      const revoked = await hs256(claims({ jti: `revoked-${stack.name}` }));
      expect((await get('/me', { authorization: `Bearer ${revoked}` })).status).toBe(200);
      revocation.revokeToken({ issuer: ISSUER, subject: 'user-1', tokenId: `revoked-${stack.name}`, expiresAt: NOW_S + 900 });
      await expect401(await get('/me', { authorization: `Bearer ${revoked}` }), 'TOKEN_REVOKED', 'invalid_token');
      expect((await get('/me', { authorization: `Bearer ${valid}` })).status).toBe(200);
    });

    it('optional: no token passes anonymously; a bad token is still a 401', async () => {
      const res = await get('/optional');
      expect(res.status).toBe(200);
      expect(res.headers['x-user']).toBe('anonymous');
      expect((await get('/optional', { authorization: `Bearer ${valid}` })).headers['x-user']).toBe('user-1:editor');
      await expect401(await get('/optional', { authorization: 'Bearer abc.def.ghi' }), 'TOKEN_INVALID', 'invalid_token');
    });

    it('cookie: the named cookie is read; a header and a cookie at once are malformed', async () => {
      expect((await get('/cookie', { cookie: `theme=dark; access_token=${valid}` })).headers['x-user']).toBe('user-1:editor');
      expect((await get('/cookie', { authorization: `Bearer ${valid}` })).headers['x-user']).toBe('user-1:editor');
      await expect401(await get('/cookie', { authorization: `Bearer ${valid}`, cookie: `access_token=${valid}` }), 'CREDENTIALS_MALFORMED', 'invalid_request');
      await expect401(await get('/cookie', { cookie: 'access_token=a"b' }), 'CREDENTIALS_MALFORMED', 'invalid_request');
      await expect401(await get('/cookie-only', { authorization: `Bearer ${valid}` }), 'TOKEN_MISSING');
      expect((await get('/cookie-only', { cookie: `access_token=${valid}` })).headers['x-user']).toBe('user-1:editor');
    });

    it("a handler's own failure after a valid token is not turned into a 401", async () => {
      const res = await get('/boom', { authorization: `Bearer ${valid}` });
      expect(res.status).toBe(500);
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it('counts every outcome in ward_auth_verifications_total', async () => {
      // A copy: prom-client hands out its live series objects.
      const snapshot = async () => Object.fromEntries((await registry.getSingleMetric('ward_auth_verifications_total')!.get()).values.map((v) => [v.labels['outcome'], v.value]));
      const before = await snapshot();
      const fresh = await hs256(claims({ jti: `fresh-${stack.name}` }));
      await get('/me', { authorization: `Bearer ${fresh}` });
      await get('/me', { authorization: `Bearer ${fresh}` });
      await get('/me');
      await get('/me', { authorization: 'Bearer x y' });
      await get('/me', { authorization: 'Bearer abc.def.ghi' });
      const after = await snapshot();
      for (const [outcome, added] of [['verified', 1], ['cached', 1], ['missing', 1], ['malformed', 1], ['invalid', 1], ['expired', 0]] as const) {
        expect((after[outcome] ?? 0) - (before[outcome] ?? 0), outcome).toBe(added);
      }
    });
  });
}
