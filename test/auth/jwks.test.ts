/**
 * Remote JWKS through a real local JWKS server: one fetch for a cold
 * cache however many verifications wait on it, no refetch storm from
 * unknown kids inside the cooldown, exactly one refetch for a rotated key
 * after it, a refetch once the cache is old, and an unreachable or broken
 * endpoint answered 503 AUTH_UNAVAILABLE (never a 401 that blames the
 * token, never a 500). Date is faked (jose's cooldown reads it); timers
 * and sockets are real.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { type JWK, exportJWK } from 'jose';
import { request } from '@ward/core/testing';
import { type JwtVerifierOptions, createJwtVerifier, isAuthError, jwtAuth } from '@ward/auth';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { STACKS } from '../timeout/stacks.js';
import { AUDIENCE, ISSUER, NOW_MS, claims, sign } from './tokens.js';

const first = generateKeyPairSync('rsa', { modulusLength: 2048 });
const second = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** The IdP: serves `keys`, counts fetches, can answer badly. */
const idp = {
  keys: [] as JWK[],
  fetches: 0,
  mode: 'ok' as 'ok' | 'error' | 'garbage' | 'hang',
  server: undefined as Server | undefined,
  url: '',
};

beforeAll(async () => {
  idp.server = createServer((_req, res) => {
    idp.fetches++;
    if (idp.mode === 'hang') return;
    if (idp.mode === 'error') return void res.writeHead(500).end('down');
    if (idp.mode === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [');
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: idp.keys }));
  });
  await new Promise<void>((resolve) => idp.server!.listen(0, '127.0.0.1', resolve));
  idp.url = `http://127.0.0.1:${(idp.server!.address() as AddressInfo).port}/jwks.json`;
});
afterAll(async () => {
  idp.server!.closeAllConnections();
  await new Promise((resolve) => idp.server!.close(resolve));
});

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW_MS);
  idp.keys = [{ ...(await exportJWK(first.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' }];
  idp.fetches = 0;
  idp.mode = 'ok';
});
afterEach(() => {
  vi.useRealTimers();
});

const options = (extra: Partial<JwtVerifierOptions> = {}): JwtVerifierOptions => ({ algorithms: ['RS256'], jwksUrl: idp.url, issuer: ISSUER, audience: AUDIENCE, cache: false, ...extra });
const token = (kid: string, key = first.privateKey, alg = 'RS256') => sign(claims(), key, { alg, kid });

async function codeOf(verifier: ReturnType<typeof createJwtVerifier>, jwt: string): Promise<string> {
  try {
    await verifier.verify(jwt);
    return 'ACCEPTED';
  } catch (error) {
    expect(isAuthError(error)).toBe(true);
    return (error as { code: string }).code;
  }
}

describe('remote JWKS', () => {
  it('100 concurrent verifications on a cold cache make one request', async () => {
    const verifier = createJwtVerifier(options());
    const jwt = await token('key-1');
    const codes = await Promise.all(Array.from({ length: 100 }, () => codeOf(verifier, jwt)));
    expect(new Set(codes)).toEqual(new Set(['ACCEPTED']));
    expect(idp.fetches).toBe(1);
  });

  it('50 tokens with unknown kids inside the cooldown: each refused, no refetch', async () => {
    const verifier = createJwtVerifier(options());
    expect(await codeOf(verifier, await token('key-1'))).toBe('ACCEPTED');
    vi.setSystemTime(NOW_MS + 10_000);
    const codes = await Promise.all(Array.from({ length: 50 }, async () => codeOf(verifier, await token(randomUUID()))));
    expect(new Set(codes)).toEqual(new Set(['TOKEN_INVALID']));
    expect(idp.fetches).toBe(1);
  });

  it('a rotated-in kid after the cooldown: exactly one refetch, then it verifies', async () => {
    const verifier = createJwtVerifier(options());
    expect(await codeOf(verifier, await token('key-1'))).toBe('ACCEPTED');
    idp.keys = [...idp.keys, { ...(await exportJWK(second.publicKey)), kid: 'key-2', alg: 'RS256' }];
    vi.setSystemTime(NOW_MS + 31_000);
    const rotated = await token('key-2', second.privateKey);
    expect(await Promise.all([codeOf(verifier, rotated), codeOf(verifier, rotated)])).toEqual(['ACCEPTED', 'ACCEPTED']);
    expect(idp.fetches).toBe(2);
  });

  it('a cache older than cacheMaxAge is fetched again before use', async () => {
    const verifier = createJwtVerifier(options());
    const jwt = await token('key-1');
    await verifier.verify(jwt);
    vi.setSystemTime(NOW_MS + 599_000);
    await verifier.verify(jwt);
    expect(idp.fetches).toBe(1);
    vi.setSystemTime(NOW_MS + 601_000);
    await verifier.verify(jwt);
    expect(idp.fetches).toBe(2);
  });

  it.each(['error', 'garbage'] as const)('an endpoint answering %s: AUTH_UNAVAILABLE, the token neither accepted nor blamed', async (mode) => {
    idp.mode = mode;
    expect(await codeOf(createJwtVerifier(options()), await token('key-1'))).toBe('AUTH_UNAVAILABLE');
  });

  it('an endpoint that never answers is cut at timeoutMs: AUTH_UNAVAILABLE', async () => {
    idp.mode = 'hang';
    expect(await codeOf(createJwtVerifier(options({ jwksOptions: { timeoutMs: 50 } })), await token('key-1'))).toBe('AUTH_UNAVAILABLE');
  });

  it('a JWK without alg: usable when the allowlist leaves one RSA algorithm, refused when the token could choose', async () => {
    idp.keys = [{ ...(await exportJWK(first.publicKey)), kid: 'key-1' }];
    expect(await codeOf(createJwtVerifier(options()), await token('key-1'))).toBe('ACCEPTED');
    const choosy = createJwtVerifier(options({ algorithms: ['RS256', 'PS256'] }));
    expect(await codeOf(choosy, await token('key-1'))).toBe('TOKEN_INVALID');
    expect(await codeOf(choosy, await token('key-1', first.privateKey, 'PS256'))).toBe('TOKEN_INVALID');
  });

  it('a JWK without alg behind one bound to another alg (same kid) is still refused when the token could choose', async () => {
    idp.keys = [
      { ...(await exportJWK(second.publicKey)), kid: 'key-1', alg: 'RS256' },
      { ...(await exportJWK(first.publicKey)), kid: 'key-1' },
    ];
    const choosy = createJwtVerifier(options({ algorithms: ['RS256', 'PS256'] }));
    // jose skips the RS256-bound key for a PS256 token and picks the loose one: the rule must look at it too.
    expect(await codeOf(choosy, await token('key-1', first.privateKey, 'PS256'))).toBe('TOKEN_INVALID');
  });

  it('a key marked use "enc", and two keys matching a token without kid, are refused', async () => {
    idp.keys = [{ ...(await exportJWK(first.publicKey)), kid: 'key-1', alg: 'RS256', use: 'enc' }];
    expect(await codeOf(createJwtVerifier(options()), await token('key-1'))).toBe('TOKEN_INVALID');
    idp.keys = [
      { ...(await exportJWK(first.publicKey)), kid: 'a', alg: 'RS256' },
      { ...(await exportJWK(second.publicKey)), kid: 'b', alg: 'RS256' },
    ];
    const noKid = await sign(claims(), first.privateKey, { alg: 'RS256' });
    expect(await codeOf(createJwtVerifier(options()), noKid)).toBe('TOKEN_INVALID');
  });

  it('over HTTP: a dead JWKS endpoint is a 503 problem with Retry-After (the cooldown), on every stack', async () => {
    idp.mode = 'error';
    const jwt = await token('key-1');
    for (const stack of STACKS) {
      const app = await stack.start({ chain: [jwtAuth({ ...options(), registry: new Registry() })], routes: { '/me': (io) => io.json(200, {}) } });
      try {
        const res = await request(`${app.url}/me`, { headers: { authorization: `Bearer ${jwt}` } });
        expect(res.status, stack.name).toBe(503);
        expect(res.headers['retry-after']).toBe('30');
        expect(res.headers['content-type']).toBe('application/problem+json');
        expect(res.json()).toMatchObject({ status: 503, code: 'AUTH_UNAVAILABLE' });
        expect(res.headers['www-authenticate']).toBeUndefined();
      } finally {
        await app.close();
      }
    }
  });
});
