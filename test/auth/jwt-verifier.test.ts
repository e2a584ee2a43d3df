/**
 * createJwtVerifier(): every hostile token of the issue and of
 * STANDARDS.md §1a–1d is refused with a typed AuthError (never another
 * exception), the claims rules hold exactly at their edges, keys are bound
 * to one algorithm each, and the verified-token cache and revocation keep
 * their promises. Real keys, real jose signatures; a fixed clock.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { type JwtVerifierOptions, MemoryRevocationStore, createJwtVerifier, isAuthError, jwtAuth } from '@ward/auth';
import { Registry } from 'prom-client';
import { request } from '@ward/core/testing';
import { STACKS } from '../timeout/stacks.js';
import { AUDIENCE, EC, ISSUER, NOW_MS, NOW_S, OLD_SECRET, RSA, RSA_PUBLIC_PEM, SECRET, b64, claims, handMade, hs256, hsKey, json64, sign } from './tokens.js';

const clock = { now: NOW_MS };
const base = (extra: Partial<JwtVerifierOptions> = {}): JwtVerifierOptions => ({
  algorithms: ['HS256'],
  secrets: [{ kid: 'k1', secret: SECRET }],
  issuer: ISSUER,
  audience: AUDIENCE,
  now: () => clock.now,
  ...extra,
});

/** The code a verification failed with (and that it failed with an AuthError). */
async function codeOf(verifier: ReturnType<typeof createJwtVerifier>, token: unknown): Promise<string> {
  try {
    await verifier.verify(token as string);
  } catch (error) {
    expect(isAuthError(error), `not an AuthError: ${String(error)}`).toBe(true);
    return (error as { code: string }).code;
  }
  return 'ACCEPTED';
}

describe('hostile tokens → TOKEN_INVALID, never another error', () => {
  const verifier = createJwtVerifier(base());
  const header = { alg: 'HS256', typ: 'at+jwt', kid: 'k1' };

  it('a valid token is accepted, with the user built from its claims', async () => {
    const verified = await verifier.verify(await hs256());
    expect(verified.user).toEqual({ id: 'user-1', roles: ['editor'], permissions: [], claims: claims() });
    expect(verified).toMatchObject({ issuer: ISSUER, subject: 'user-1', tokenId: 'jti-1', issuedAt: NOW_S, expiresAtMs: (NOW_S + 900) * 1000 });
  });

  it.each([
    ['alg none with an empty signature', `${json64({ alg: 'none', typ: 'at+jwt' })}.${json64(claims())}.`],
    ['alg none with a signature', handMade({ alg: 'none', typ: 'at+jwt' }, claims())],
    ['alg None', handMade({ alg: 'None', typ: 'at+jwt' }, claims())],
    ['alg NONE', handMade({ alg: 'NONE', typ: 'at+jwt' }, claims())],
    ['alg nOnE', handMade({ alg: 'nOnE', typ: 'at+jwt' }, claims())],
    ['alg "none " (trailing space)', handMade({ alg: 'none ', typ: 'at+jwt' }, claims())],
    ['alg hs256 (case matters)', handMade({ ...header, alg: 'hs256' }, claims())],
    ['an algorithm outside the allowlist (HS512)', handMade({ ...header, alg: 'HS512' }, claims())],
    ['garbage base64', 'abc.def.ghi'],
    ['header that is not JSON', `${b64('{not json')}.${json64(claims())}.sig`],
    ['a payload that is an array', handMade(header, '[1,2,3]')],
    ['a payload that is a string', handMade(header, '"hello"')],
    ['a payload that is not UTF-8 JSON', `${json64(header)}.${b64(Buffer.from([0xff, 0xfe, 0x7b]))}.sig`],
    ['two segments', `${json64(header)}.${json64(claims())}`],
    ['four segments', `${handMade(header, claims())}.extra`],
    ['a five-segment JWE', 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..iv.ciphertext.tag'],
    ['a padded segment', `${json64(header)}=.${json64(claims())}.sig`],
    ['a character outside base64url ({)', `{${json64(header)}.${json64(claims())}.sig`],
    ['a space inside', `${json64(header)} .${json64(claims())}.sig`],
    ['standard base64 (+ and /)', `${json64(header)}.${json64(claims())}.ab+c/d`],
    ['the JWS JSON serialization', JSON.stringify({ payload: json64(claims()), signatures: [{ protected: json64(header), signature: 'x' }] })],
    ['an unknown critical header', handMade({ ...header, crit: ['exp-foo'], 'exp-foo': 1 }, claims())],
    ['an empty crit list', handMade({ ...header, crit: [] }, claims())],
    ['b64: false', handMade({ ...header, b64: false, crit: ['b64'] }, claims())],
    ['a 20 KB token', handMade(header, claims({ pad: 'x'.repeat(20_000) }))],
    ['a kid that is a number', handMade({ ...header, kid: 1 }, claims())],
    ['a kid that is a path', handMade({ ...header, kid: '../../../../dev/null' }, claims())],
    ['a kid that is SQL', handMade({ ...header, kid: "' OR 1=1 --" }, claims())],
    ['a 10 KB kid', handMade({ ...header, kid: 'k'.repeat(10_000) }, claims())],
    ['an unknown kid', handMade({ ...header, kid: 'k2' }, claims())],
    ['a signature by another secret', handMade(header, claims(), 'another-secret-of-enough-length-0123456789')],
  ])('%s', async (_name, token) => {
    expect(await codeOf(verifier, token)).toBe('TOKEN_INVALID');
  });

  it('a tampered payload (roles raised after signing)', async () => {
    const [h, , s] = (await hs256()).split('.');
    expect(await codeOf(verifier, `${h}.${json64(claims({ roles: ['admin'] }))}.${s}`)).toBe('TOKEN_INVALID');
  });

  it.each([undefined, null, 42, {}, ['a.b.c'], '', '.', '..'])('input %j', async (input) => {
    expect(await codeOf(verifier, input)).toBe('TOKEN_INVALID');
  });

  it('keys in the header (jwk, jku, x5u) are never used, and nothing is fetched', async () => {
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsVerifier = createJwtVerifier(base({ algorithms: ['RS256'], secrets: undefined, publicKeys: [{ kid: 'r1', key: RSA_PUBLIC_PEM }] }));
    const fetches: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (url: string | URL) => {
      fetches.push(String(url));
      throw new Error('no fetch expected');
    }) as typeof fetch;
    try {
      const jwk = await exportJWK(attacker.publicKey);
      for (const extra of [{ jwk }, { jku: 'https://evil.example/jwks' }, { x5u: 'https://evil.example/cert' }, { kid: 'r1', jwk }]) {
        const token = await sign(claims(), attacker.privateKey, { alg: 'RS256', ...extra });
        expect(await codeOf(rsVerifier, token)).toBe('TOKEN_INVALID');
      }
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(fetches).toEqual([]);
  });

  it('HS256 signed with the RSA public key (PEM, DER and JWK bytes) against an RSA verifier', async () => {
    for (const algorithms of [['RS256'], ['RS256', 'HS256']] as const) {
      const rsVerifier = createJwtVerifier(base({ algorithms: [...algorithms], secrets: undefined, publicKeys: [{ kid: 'r1', key: RSA_PUBLIC_PEM, alg: 'RS256' }] }));
      const der = RSA.publicKey.export({ type: 'spki', format: 'der' });
      const jwkText = JSON.stringify(RSA.publicKey.export({ format: 'jwk' }));
      for (const keyBytes of [Buffer.from(RSA_PUBLIC_PEM), der, Buffer.from(jwkText)]) {
        const token = handMade({ alg: 'HS256', typ: 'at+jwt', kid: 'r1' }, claims(), keyBytes);
        expect(await codeOf(rsVerifier, token)).toBe('TOKEN_INVALID');
      }
    }
  });

  it('a JWK bound to RS256 does not verify a PS256 token of the same kid', async () => {
    const jwk = { ...(await exportJWK(RSA.publicKey)), alg: 'RS256', kid: 'r1' };
    const v = createJwtVerifier(base({ algorithms: ['RS256', 'PS256'], secrets: undefined, publicKeys: [{ key: jwk }] }));
    expect(await codeOf(v, await sign(claims(), RSA.privateKey, { alg: 'RS256', kid: 'r1' }))).toBe('ACCEPTED');
    expect(await codeOf(v, await sign(claims(), RSA.privateKey, { alg: 'PS256', kid: 'r1' }))).toBe('TOKEN_INVALID');
  });
});

describe('claims', () => {
  const verifier = createJwtVerifier(base({ clockToleranceSeconds: 60 }));
  const strict = createJwtVerifier(base());

  it('exp: now is expired, now+1 is valid; with 60 s leeway now-30 is valid and now-61 expired', async () => {
    expect(await codeOf(strict, await hs256(claims({ exp: NOW_S })))).toBe('TOKEN_EXPIRED');
    expect(await codeOf(strict, await hs256(claims({ exp: NOW_S + 1 })))).toBe('ACCEPTED');
    expect(await codeOf(verifier, await hs256(claims({ exp: NOW_S - 30 })))).toBe('ACCEPTED');
    expect(await codeOf(verifier, await hs256(claims({ exp: NOW_S - 61 })))).toBe('TOKEN_EXPIRED');
  });

  it('nbf: now is valid; now+120 with 60 s leeway is not', async () => {
    expect(await codeOf(verifier, await hs256(claims({ nbf: NOW_S })))).toBe('ACCEPTED');
    expect(await codeOf(verifier, await hs256(claims({ nbf: NOW_S + 120 })))).toBe('TOKEN_INVALID');
  });

  it.each([
    ['exp as a string', { exp: String(NOW_S + 900) }],
    ['exp null', { exp: null }],
    ['exp an object', { exp: {} }],
    ['no exp', { exp: undefined }],
    ['no sub', { sub: undefined }],
    ['an empty sub', { sub: '' }],
    ['a numeric sub', { sub: 42 }],
    ['iss without the trailing slash', { iss: 'https://auth.example' }],
    ['iss in upper case', { iss: 'HTTPS://auth.example/' }],
    ['no iss', { iss: undefined }],
    ['another aud', { aud: ['x'] }],
    ['an empty aud', { aud: '' }],
    ['a numeric aud', { aud: 123 }],
    ['no aud', { aud: undefined }],
    ['roles as a string', { roles: 'admin' }],
    ['roles with a number', { roles: ['admin', 1] }],
    ['permissions as an object', { permissions: { admin: true } }],
    ['scope as a list', { scope: ['a'] }],
  ])('%s → TOKEN_INVALID', async (_name, change) => {
    const payload: Record<string, unknown> = { ...claims(), ...change };
    for (const [key, value] of Object.entries(change)) if (value === undefined) delete payload[key];
    expect(await codeOf(strict, await hs256(payload as never))).toBe('TOKEN_INVALID');
  });

  it('aud as a list containing ours is accepted', async () => {
    expect(await codeOf(strict, await hs256(claims({ aud: ['x', AUDIENCE] })))).toBe('ACCEPTED');
  });

  it('permissions come from the permissions claim and the scope string', async () => {
    const verified = await strict.verify(await hs256(claims({ permissions: ['orders:read'], scope: 'orders:write  profile' })));
    expect(verified.user.permissions).toEqual(['orders:read', 'orders:write', 'profile']);
  });

  it('typ: at+jwt and application/at+jwt in any case pass; JWT, none, secevent+jwt and foo/at+jwt do not', async () => {
    for (const typ of ['at+jwt', 'application/at+jwt', 'AT+JWT']) expect(await codeOf(strict, await hs256(claims(), { typ }))).toBe('ACCEPTED');
    for (const typ of ['JWT', 'secevent+jwt', 'foo/at+jwt']) expect(await codeOf(strict, await hs256(claims(), { typ }))).toBe('TOKEN_INVALID');
    const noTyp = handMade({ alg: 'HS256', kid: 'k1' }, claims());
    expect(await codeOf(strict, noTyp)).toBe('TOKEN_INVALID');
    expect(await codeOf(createJwtVerifier(base({ typ: false })), noTyp)).toBe('ACCEPTED');
  });

  it('maxTokenAgeSeconds: an old iat is refused as expired, also once the token is cached', async () => {
    const v = createJwtVerifier(base({ maxTokenAgeSeconds: 300 }));
    const token = await hs256(claims({ iat: NOW_S - 200 }));
    expect(await codeOf(v, token)).toBe('ACCEPTED');
    clock.now = NOW_MS + 101_000;
    try {
      expect(await codeOf(v, token)).toBe('TOKEN_EXPIRED');
    } finally {
      clock.now = NOW_MS;
    }
  });

  it('requiredClaims adds claims every token must carry', async () => {
    const v = createJwtVerifier(base({ requiredClaims: ['client_id'] }));
    expect(await codeOf(v, await hs256())).toBe('TOKEN_INVALID');
    expect(await codeOf(v, await hs256(claims({ client_id: 'web' })))).toBe('ACCEPTED');
  });
});

describe('keys', () => {
  it('secret rotation: tokens of the current and the previous kid both verify; an unknown kid does not', async () => {
    const v = createJwtVerifier(base({ secrets: [{ kid: 'new', secret: SECRET }, { kid: 'old', secret: OLD_SECRET }] }));
    expect(await codeOf(v, await hs256(claims(), { kid: 'new' }))).toBe('ACCEPTED');
    expect(await codeOf(v, await hs256(claims(), { kid: 'old' }, OLD_SECRET))).toBe('ACCEPTED');
    expect(await codeOf(v, await hs256(claims(), { kid: 'new' }, OLD_SECRET))).toBe('TOKEN_INVALID');
    expect(await codeOf(v, await hs256(claims(), { kid: undefined }))).toBe('TOKEN_INVALID');
  });

  it('one secret without a kid verifies tokens without a kid', async () => {
    const v = createJwtVerifier(base({ secrets: [{ secret: SECRET }] }));
    expect(await codeOf(v, await hs256(claims(), { kid: undefined }))).toBe('ACCEPTED');
  });

  it('ES256 public key as PEM, JWK or KeyObject', async () => {
    const token = await sign(claims(), EC.privateKey, { alg: 'ES256', kid: 'e1' });
    for (const key of [EC.publicKey.export({ type: 'spki', format: 'pem' }) as string, await exportJWK(EC.publicKey), EC.publicKey]) {
      const v = createJwtVerifier(base({ algorithms: ['ES256'], secrets: undefined, publicKeys: [{ kid: 'e1', key: key as never }] }));
      expect(await codeOf(v, token)).toBe('ACCEPTED');
    }
  });

  it.each([
    ['no algorithms', { algorithms: undefined }, /algorithms is required/],
    ['an empty allowlist', { algorithms: [] }, /algorithms is required/],
    ['none in the allowlist', { algorithms: ['none'] }, /"none"/],
    ['an unknown algorithm', { algorithms: ['HS257'] }, /unknown algorithm/],
    ['a 31-byte HS256 secret', { secrets: [{ secret: 'x'.repeat(31) }] }, /31 bytes; HS256 needs at least 32/],
    ['no keys', { secrets: [] }, /needs keys/],
    ['an unknown option', { algorithm: ['HS256'] }, /unknown option "algorithm"/],
    ['no issuer', { issuer: undefined }, /issuer must be/],
    ['no audience', { audience: [] }, /audience must be/],
    ['an RSA key of 1024 bits', { algorithms: ['RS256'], secrets: undefined, publicKeys: [{ key: generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey }] }, /at least 2048 bits/],
    ['an EC key for RS256', { algorithms: ['RS256'], secrets: undefined, publicKeys: [{ key: EC.publicKey, alg: 'RS256' }] }, /RS256 needs an RSA key/],
    ['a P-256 key for ES384', { algorithms: ['ES384'], secrets: undefined, publicKeys: [{ key: EC.publicKey }] }, /fits none|curve/],
    ['an RSA key that fits two allowed algorithms', { algorithms: ['RS256', 'PS256'], secrets: undefined, publicKeys: [{ key: RSA.publicKey }] }, /exactly one algorithm/],
    ['a JWKS URL over plain http', { jwksUrl: 'http://id.example/jwks', algorithms: ['RS256'], secrets: undefined }, /https/],
  ])('configuration refused: %s', (_name, change, message) => {
    expect(() => createJwtVerifier(base(change as Partial<JwtVerifierOptions>))).toThrow(message);
  });

  it('keys are imported once: a thousand verifications never call the key import again', async () => {
    const v = createJwtVerifier(base({ cache: false }));
    const token = await hs256();
    const importKey = crypto.subtle.importKey.bind(crypto.subtle);
    let imports = 0;
    crypto.subtle.importKey = ((...args: Parameters<typeof importKey>) => {
      imports++;
      return importKey(...args);
    }) as typeof importKey;
    try {
      // The first call may still see the KeyObject while its CryptoKey import settles.
      await v.verify(token);
      imports = 0;
      for (let i = 0; i < 1000; i++) await v.verify(token);
    } finally {
      crypto.subtle.importKey = importKey;
    }
    expect(imports).toBe(0);
  });
});

describe('verified-token cache and revocation', () => {
  it('a repeated token is answered synchronously from the cache, never after its exp', async () => {
    const v = createJwtVerifier(base());
    const token = await hs256(claims({ exp: NOW_S + 10 }));
    expect(v.verify(token)).toBeInstanceOf(Promise);
    await v.verify(token);
    const hit = v.verify(token);
    expect(hit).not.toBeInstanceOf(Promise);
    expect((hit as { subject: string }).subject).toBe('user-1');
    clock.now = NOW_MS + 10_000;
    try {
      expect(await codeOf(v, token)).toBe('TOKEN_EXPIRED');
    } finally {
      clock.now = NOW_MS;
    }
  });

  it('cache: false verifies every time', async () => {
    const v = createJwtVerifier(base({ cache: false }));
    const token = await hs256();
    await v.verify(token);
    expect(v.verify(token)).toBeInstanceOf(Promise);
  });

  it('revoking (iss, jti) refuses the token, also when cached; other tokens of the subject still pass', async () => {
    const revocation = new MemoryRevocationStore({ now: () => clock.now });
    const v = createJwtVerifier(base({ revocation }));
    const token = await hs256();
    const other = await hs256(claims({ jti: 'jti-2' }));
    await v.verify(token);
    revocation.revokeToken({ issuer: ISSUER, subject: 'user-1', tokenId: 'jti-1', expiresAt: NOW_S + 900 });
    expect(await codeOf(v, token)).toBe('TOKEN_REVOKED');
    expect(await codeOf(v, other)).toBe('ACCEPTED');
  });

  it('an ES256 token re-signed with the malleated signature (s → n − s) is still revoked: the deny list keys on jti, not bytes', async () => {
    const revocation = new MemoryRevocationStore({ now: () => clock.now });
    const v = createJwtVerifier(base({ algorithms: ['ES256'], secrets: undefined, publicKeys: [{ kid: 'e1', key: EC.publicKey }], revocation }));
    const token = await sign(claims(), EC.privateKey, { alg: 'ES256', kid: 'e1' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const high = n - BigInt(`0x${sig.subarray(32).toString('hex')}`);
    const malleated = `${h}.${p}.${Buffer.concat([sig.subarray(0, 32), Buffer.from(high.toString(16).padStart(64, '0'), 'hex')]).toString('base64url')}`;
    expect(malleated).not.toBe(token);
    expect(await codeOf(v, malleated)).toBe('ACCEPTED');
    revocation.revokeToken({ issuer: ISSUER, subject: 'user-1', tokenId: 'jti-1', expiresAt: NOW_S + 900 });
    expect(await codeOf(v, token)).toBe('TOKEN_REVOKED');
    expect(await codeOf(v, malleated)).toBe('TOKEN_REVOKED');
  });

  it('a subject watermark revokes every token issued at or before it, and none after', async () => {
    const revocation = new MemoryRevocationStore({ now: () => clock.now });
    const v = createJwtVerifier(base({ revocation }));
    const before = await hs256(claims({ iat: NOW_S - 10 }));
    const same = await hs256(claims({ iat: NOW_S, jti: 'same' }));
    const after = await hs256(claims({ iat: NOW_S + 1, jti: 'after' }));
    const otherUser = await hs256(claims({ sub: 'user-2' }));
    revocation.revokeSubject(ISSUER, 'user-1', NOW_S, 900);
    expect(await codeOf(v, before)).toBe('TOKEN_REVOKED');
    expect(await codeOf(v, same)).toBe('TOKEN_REVOKED');
    expect(await codeOf(v, after)).toBe('ACCEPTED');
    expect(await codeOf(v, otherUser)).toBe('ACCEPTED');
  });

  it('a failing revocation store: closed → AUTH_UNAVAILABLE; open → accepted', async () => {
    const failing = { kind: 'broken', isRevoked: () => Promise.reject(new Error('ECONNREFUSED')), revokeToken: () => undefined, revokeSubject: () => undefined };
    const token = await hs256();
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }): void => void (warning.code === 'WARD_AUTH_REVOCATION_STORE' && warnings.push(warning.message));
    process.on('warning', onWarning);
    try {
      expect(await codeOf(createJwtVerifier(base({ revocation: failing, revocationFailureMode: 'closed' })), token)).toBe('AUTH_UNAVAILABLE');
      const open = createJwtVerifier(base({ revocation: failing, revocationFailureMode: 'open' }));
      expect(await codeOf(open, token)).toBe('ACCEPTED');
      expect(await codeOf(open, token)).toBe('ACCEPTED');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    // One warning per verifier and outage, not one per request.
    expect(warnings).toHaveLength(2);
  });

  it('a store that can fail needs revocationFailureMode said out loud; the memory store does not', () => {
    const failing = { kind: 'redis', isRevoked: () => false, revokeToken: () => undefined, revokeSubject: () => undefined };
    expect(() => createJwtVerifier(base({ revocation: failing }))).toThrow("revocationFailureMode is required with a redis revocation store: 'closed' (503 while it fails) or 'open' (tokens accepted unchecked)");
    expect(() => createJwtVerifier(base({ revocation: new MemoryRevocationStore() }))).not.toThrow();
  });

  it('a revocation store that never answers is cut at revocationTimeoutMs', async () => {
    const hanging = { kind: 'hanging', isRevoked: () => new Promise<boolean>(() => {}), revokeToken: () => undefined, revokeSubject: () => undefined };
    // The store's promise never settles: only the deadline can end this verification.
    const v = createJwtVerifier(base({ revocation: hanging, revocationFailureMode: 'closed', revocationTimeoutMs: 20 }));
    expect(await codeOf(v, await hs256())).toBe('AUTH_UNAVAILABLE');
  });
});

describe('several issuers, each with its own keys (RFC 8725 §3.8)', () => {
  const A = 'https://a.example/';
  const B = 'https://b.example/';
  const keyA = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyB = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const verifierOf = (issuer: string, key: typeof keyA) => createJwtVerifier({ algorithms: ['ES256'], publicKeys: [{ kid: 'k', key: key.publicKey }], issuer, audience: AUDIENCE, now: () => clock.now });
  const signed = (issuer: string, key: typeof keyA) => sign(claims({ iss: issuer }), key.privateKey, { alg: 'ES256', kid: 'k' });

  it('one issuer per verifier: a list is refused with the way to do it', () => {
    expect(() => createJwtVerifier(base({ issuer: [A, B] as never }))).toThrow(/one verifier each and pass jwtAuth\({ verifier: \[a, b\] }\)/);
  });

  it("jwtAuth({ verifier: [a, b] }) over HTTP on every stack: each issuer's tokens pass with its own key; iss=A signed with B's key, and an unknown iss, are 401", async () => {
    const tokens = { a: await signed(A, keyA), b: await signed(B, keyB), aByB: await signed(A, keyB), unknown: await signed('https://evil.example/', keyA) };
    for (const stack of STACKS) {
      const app = await stack.start({ chain: [jwtAuth({ verifier: [verifierOf(A, keyA), verifierOf(B, keyB)], registry: new Registry() })], routes: { '/me': (io) => io.json(200, {}) } });
      try {
        const status = async (token: string) => (await request(`${app.url}/me`, { headers: { authorization: `Bearer ${token}` } })).status;
        expect([await status(tokens.a), await status(tokens.b), await status(tokens.aByB), await status(tokens.unknown)], stack.name).toEqual([200, 200, 401, 401]);
      } finally {
        await app.close();
      }
    }
    expect(() => jwtAuth({ verifier: [verifierOf(A, keyA), verifierOf(A, keyB)] })).toThrow(/two verifiers for the issuer/);
  });
});
