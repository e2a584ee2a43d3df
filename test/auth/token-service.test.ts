/**
 * createTokenService() against the memory store and the test Redis (with
 * several ioredis clients, as several app servers): access tokens verified
 * with jose, rotation, reuse detection (also when the thief is first),
 * tampering, idle and absolute lifetimes on an injected clock, logout and
 * logout-everywhere, the refresh race (exactly one winner), and garbage.
 */
import { jwtVerify } from 'jose';
import { Redis } from 'ioredis';
import {
  type AuthUser,
  MemoryRefreshStore,
  MemoryRevocationStore,
  RedisRefreshStore,
  RedisRevocationStore,
  type RefreshStore,
  type TokenServiceEvent,
  type TokenServiceOptions,
  createJwtVerifier,
  createTokenService,
  isAuthError,
} from '@ward/auth';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, namer } from '../rate-limit/helpers.js';
import { AUDIENCE, EC, ISSUER, SECRET, hsKey } from './tokens.js';

/**
 * The services' clock starts at the real time (whole seconds): the Redis
 * store's keys expire on the Redis server's own clock at the family's
 * absolute end, so a clock fixed in the past would have them expire at once.
 */
const NOW_MS = Math.floor(Date.now() / 1000) * 1000;

const unique = namer('rt');
let clients: Redis[] = [];
beforeAll(async () => {
  clients = await Promise.all([connect(inject('redisUrl')), connect(inject('redisUrl')), connect(inject('redisUrl'))]);
});
afterAll(() => {
  for (const client of clients) client.disconnect();
});

const DAY = 86_400_000;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (error) {
    expect(isAuthError(error), String(error)).toBe(true);
    return (error as { code: string }).code;
  }
}

const STORES: [string, (i?: number) => RefreshStore][] = [
  ['memory', () => new MemoryRefreshStore()],
  ['redis', (() => {
    let prefix = '';
    return (i = 0) => {
      if (i === 0) prefix = `${unique('p')}:`;
      return new RedisRefreshStore({ client: clients[i % clients.length]!, prefix });
    };
  })()],
];

describe.each(STORES)('token service on the %s store', (_kind, makeStore) => {
  function service(extra: Partial<TokenServiceOptions> = {}) {
    const clock = { now: NOW_MS };
    const events: TokenServiceEvent[] = [];
    const store = makeStore();
    const tokens = createTokenService({ issuer: ISSUER, audience: AUDIENCE, signingKey: { kid: 'k1', alg: 'HS256', secret: SECRET }, store, now: () => clock.now, onEvent: (e) => events.push(e), ...extra });
    return { tokens, clock, events, store };
  }

  it('issues an RFC 9068 access token (at+jwt, kid, iss, aud, sub, iat, exp = iat + 900, jti, roles) and an opaque refresh token', async () => {
    const { tokens } = service();
    const pair = await tokens.issue('user-1', { roles: ['admin'], permissions: ['orders:read'] });
    const { payload, protectedHeader } = await jwtVerify(pair.accessToken, hsKey(), { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, currentDate: new Date(NOW_MS), typ: 'at+jwt' });
    expect(protectedHeader).toEqual({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: 'user-1', iat: NOW_MS / 1000, exp: NOW_MS / 1000 + 900, roles: ['admin'], permissions: ['orders:read'] });
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, accessTokenExpiresAt: NOW_MS + 900_000, refreshTokenExpiresAt: NOW_MS + 14 * DAY });
    expect(pair.refreshToken).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    // Our own verifier accepts it, configured from the service.
    const verified = await createJwtVerifier({ ...tokens.verification(), now: () => NOW_MS }).verify(pair.accessToken);
    expect(verified.user.roles).toEqual(['admin']);
  });

  it('rotation: RT1 → a new pair with RT2 ≠ RT1; RT1 is spent', async () => {
    const { tokens } = service();
    const first = await tokens.issue('user-1', { roles: ['user'] });
    const second = await tokens.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.refreshToken.slice(0, 22)).toBe(first.refreshToken.slice(0, 22));
    expect((await tokens.refresh(second.refreshToken)).refreshToken).not.toBe(second.refreshToken);
  });

  it('reuse: RT1 again after rotation → REFRESH_TOKEN_REUSED, and RT2 is dead too; the event names subject and family', async () => {
    const { tokens, events } = service();
    const first = await tokens.issue('user-1');
    const second = await tokens.refresh(first.refreshToken);
    expect(await codeOf(tokens.refresh(first.refreshToken))).toBe('REFRESH_TOKEN_REUSED');
    expect(await codeOf(tokens.refresh(second.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
    expect(events).toEqual([{ type: 'reuse_detected', subject: 'user-1', family: first.refreshToken.slice(0, 22) }]);
    expect(JSON.stringify(events)).not.toContain(first.refreshToken.slice(23));
  });

  it('the thief first: a stolen RT1 is used (RT2\'), then the victim presents RT1 → the family dies, RT2\' with it', async () => {
    const { tokens } = service();
    const first = await tokens.issue('victim');
    const thief = await tokens.refresh(first.refreshToken);
    expect(await codeOf(tokens.refresh(first.refreshToken))).toBe('REFRESH_TOKEN_REUSED');
    expect(await codeOf(tokens.refresh(thief.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
  });

  it('another login of the same user is another family, untouched by a reuse in the first', async () => {
    const { tokens } = service();
    const a = await tokens.issue('user-1');
    const b = await tokens.issue('user-1');
    await tokens.refresh(a.refreshToken);
    await codeOf(tokens.refresh(a.refreshToken));
    expect(await codeOf(tokens.refresh(b.refreshToken))).toBe('OK');
  });

  it('tampered tokens (family id, secret) and garbage of any type or size → REFRESH_TOKEN_INVALID', async () => {
    const { tokens } = service();
    const { refreshToken } = await tokens.issue('user-1');
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    for (const bad of [flip(refreshToken, 3), flip(refreshToken, 40), `${refreshToken}x`, refreshToken.replace('.', '_'), '', 'a.b', 'x'.repeat(1_000_000), 'é'.repeat(66), 42, null, undefined, {}, [refreshToken]]) {
      expect(await codeOf(tokens.refresh(bad))).toBe('REFRESH_TOKEN_INVALID');
    }
    // The real one still works: a forged family id did not revoke anything.
    expect(await codeOf(tokens.refresh(refreshToken))).toBe('OK');
  });

  it('idle lifetime: unused for longer than refreshIdleTtlSeconds → invalid; each rotation restarts it', async () => {
    const { tokens, clock } = service({ refreshIdleTtlSeconds: 3600 });
    let pair = await tokens.issue('user-1');
    for (let i = 0; i < 3; i++) {
      clock.now += 3_599_000;
      pair = await tokens.refresh(pair.refreshToken);
      expect(pair.refreshTokenExpiresAt).toBe(clock.now + 3_600_000);
    }
    clock.now += 3_600_000;
    expect(await codeOf(tokens.refresh(pair.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
  });

  it('absolute lifetime: rotation never extends it', async () => {
    const { tokens, clock } = service({ refreshIdleTtlSeconds: 3600, refreshAbsoluteTtlSeconds: 7200 });
    let pair = await tokens.issue('user-1');
    clock.now += 3_000_000;
    pair = await tokens.refresh(pair.refreshToken);
    clock.now += 3_000_000;
    pair = await tokens.refresh(pair.refreshToken);
    expect(pair.refreshTokenExpiresAt).toBe(NOW_MS + 7_200_000);
    clock.now = NOW_MS + 7_200_000;
    expect(await codeOf(tokens.refresh(pair.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
  });

  it('logout revokes the family (idempotent; unknown and garbage tokens are ignored)', async () => {
    const { tokens } = service();
    const pair = await tokens.issue('user-1');
    await tokens.logout(pair.refreshToken);
    await tokens.logout(pair.refreshToken);
    await tokens.logout('garbage');
    await tokens.logout(`${'A'.repeat(22)}.${'B'.repeat(43)}`);
    expect(await codeOf(tokens.refresh(pair.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
  });

  it('logoutAll revokes every family of the subject and sets the access-token watermark; other subjects keep theirs', async () => {
    const revocation = new MemoryRevocationStore({ now: () => NOW_MS });
    const { tokens } = service({ revocation });
    const a = await tokens.issue('user-1');
    const b = await tokens.issue('user-1');
    const other = await tokens.issue('user-2');
    await tokens.logoutAll('user-1');
    expect(await codeOf(tokens.refresh(a.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
    expect(await codeOf(tokens.refresh(b.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
    expect(await codeOf(tokens.refresh(other.refreshToken))).toBe('OK');
    const verifier = createJwtVerifier({ ...tokens.verification(), revocation, now: () => NOW_MS });
    expect(await codeOf(Promise.resolve(verifier.verify(a.accessToken)))).toBe('TOKEN_REVOKED');
    expect(await codeOf(Promise.resolve(verifier.verify(other.accessToken)))).toBe('OK');
  });

  it('logoutAll then a new login (the "password changed" flow): the new tokens are valid, the old ones revoked', async () => {
    const revocation = new MemoryRevocationStore();
    const tokens = createTokenService({ issuer: ISSUER, audience: AUDIENCE, signingKey: { kid: 'k1', alg: 'HS256', secret: SECRET }, revocation });
    const verifier = createJwtVerifier({ ...tokens.verification(), revocation });
    const before = await tokens.issue('user-1');
    await tokens.logoutAll('user-1');
    const after = await tokens.issue('user-1');
    expect(await codeOf(Promise.resolve(verifier.verify(before.accessToken)))).toBe('TOKEN_REVOKED');
    expect(await codeOf(Promise.resolve(verifier.verify(after.accessToken)))).toBe('OK');
    expect(await codeOf(tokens.refresh(after.refreshToken))).toBe('OK');
  });

  it('revokeAccessToken revokes one access token by its jti', async () => {
    const revocation = new MemoryRevocationStore({ now: () => NOW_MS });
    const { tokens } = service({ revocation });
    const verifier = createJwtVerifier({ ...tokens.verification(), revocation, now: () => NOW_MS });
    const one = await tokens.issue('user-1');
    const two = await tokens.issue('user-1');
    const { user } = await verifier.verify(one.accessToken);
    await tokens.revokeAccessToken(user as AuthUser);
    expect(await codeOf(Promise.resolve(verifier.verify(one.accessToken)))).toBe('TOKEN_REVOKED');
    expect(await codeOf(Promise.resolve(verifier.verify(two.accessToken)))).toBe('OK');
  });

  describe.each([
    ['memory', () => new MemoryRevocationStore()],
    ['redis', () => new RedisRevocationStore({ client: clients[0]!, prefix: `${unique('rev')}:` })],
  ] as const)('sessions on the %s revocation store', (_revocationKind, makeRevocation) => {
    function withRevocation() {
      const revocation = makeRevocation();
      const { tokens, events } = service({ revocation });
      const verifier = createJwtVerifier({ ...tokens.verification(), revocation, revocationFailureMode: 'closed' });
      const check = (token: string) => codeOf(Promise.resolve(verifier.verify(token)));
      return { tokens, events, verifier, check, revocation };
    }

    it('every access token carries the login\'s sid: a 22-character digest, the same across rotations, never part of the refresh token', async () => {
      const { tokens, verifier } = withRevocation();
      const first = await tokens.issue('user-1');
      const second = await tokens.refresh(first.refreshToken);
      const other = await tokens.issue('user-1');
      const sid = async (token: string) => (await verifier.verify(token)).user.claims['sid'];
      expect(await sid(first.accessToken)).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(await sid(second.accessToken)).toBe(await sid(first.accessToken));
      expect(await sid(other.accessToken)).not.toBe(await sid(first.accessToken));
      for (const part of first.refreshToken.split('.')) expect(await sid(first.accessToken)).not.toBe(part);
    });

    it('reuse revokes the login\'s access tokens too — the victim\'s and the thief\'s — and no other login\'s', async () => {
      const { tokens, check } = withRevocation();
      const first = await tokens.issue('victim');
      const thief = await tokens.refresh(first.refreshToken);
      const elsewhere = await tokens.issue('victim');
      expect(await check(thief.accessToken)).toBe('OK');
      await expect(tokens.refresh(first.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED', message: 'The refresh token was already used; every token of this login is revoked' });
      expect(await check(first.accessToken)).toBe('TOKEN_REVOKED');
      expect(await check(thief.accessToken)).toBe('TOKEN_REVOKED');
      expect(await check(elsewhere.accessToken)).toBe('OK');
    });

    it('logout revokes the login\'s access tokens; a forged refresh token naming the family revokes nothing', async () => {
      const { tokens, check } = withRevocation();
      const pair = await tokens.issue('user-1');
      const other = await tokens.issue('user-1');
      await tokens.logout(`${pair.refreshToken.slice(0, 22)}.${'B'.repeat(43)}`);
      expect(await check(pair.accessToken)).toBe('OK');
      await tokens.logout(pair.refreshToken);
      expect(await check(pair.accessToken)).toBe('TOKEN_REVOKED');
      expect(await check(other.accessToken)).toBe('OK');
    });
  });

  it('reuse with a revocation store that fails: still REFRESH_TOKEN_REUSED (never a 503), saying only the refresh tokens are revoked', async () => {
    const broken = new MemoryRevocationStore();
    broken.revokeSession = () => {
      throw new Error('deny list down');
    };
    const { tokens } = service({ revocation: broken });
    const first = await tokens.issue('user-1');
    await tokens.refresh(first.refreshToken);
    await expect(tokens.refresh(first.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED', message: 'The refresh token was already used; every refresh token of this login is revoked' });
  });

  it('20 simultaneous refreshes of one token (several app servers): exactly one wins, the rest are reuse', async () => {
    const clock = { now: NOW_MS };
    const first = makeStore(0);
    const services = [0, 1, 2].map((i) => createTokenService({ issuer: ISSUER, audience: AUDIENCE, signingKey: { kid: 'k1', alg: 'HS256', secret: SECRET }, store: i === 0 ? first : makeStore(i), now: () => clock.now }));
    const { refreshToken } = await services[0]!.issue('user-1');
    const codes = await Promise.all(Array.from({ length: 20 }, (_, i) => codeOf(services[i % 3]!.refresh(refreshToken))));
    expect(codes.filter((code) => code === 'OK')).toHaveLength(1);
    expect(codes.filter((code) => code !== 'OK').every((code) => code === 'REFRESH_TOKEN_REUSED' || code === 'REFRESH_TOKEN_INVALID')).toBe(true);
  });

  it('ES256 signing: the verification options carry the public half only', async () => {
    const { tokens } = service({ signingKey: { kid: 'e1', alg: 'ES256', privateKey: EC.privateKey } });
    const pair = await tokens.issue('user-1');
    const options = tokens.verification();
    expect(options.publicKeys?.[0]?.key).toMatchObject({ type: 'public' });
    expect((await createJwtVerifier({ ...options, now: () => NOW_MS }).verify(pair.accessToken)).subject).toBe('user-1');
  });
});

describe('configuration', () => {
  const base: TokenServiceOptions = { issuer: ISSUER, audience: AUDIENCE, signingKey: { kid: 'k1', alg: 'HS256', secret: SECRET } };
  it.each([
    ['a short secret', { signingKey: { kid: 'k1', alg: 'HS256', secret: 'short' } }, /needs at least 32/],
    ['no kid', { signingKey: { alg: 'HS256', secret: SECRET } }, /kid is required/],
    ['alg none', { signingKey: { kid: 'k1', alg: 'none', secret: SECRET } }, /JWS algorithm/],
    ['an RSA key for ES256', { signingKey: { kid: 'k1', alg: 'ES256', privateKey: 'not a pem' } }, /not a usable private key/],
    ['no issuer', { issuer: '' }, /issuer/],
    ['a zero ttl', { accessTokenTtlSeconds: 0 }, /accessTokenTtlSeconds/],
  ])('refuses %s', (_name, change, message) => {
    expect(() => createTokenService({ ...base, ...change } as TokenServiceOptions)).toThrow(message);
  });

  it('refuses extra claims that would override registered ones', async () => {
    await expect(createTokenService(base).issue('u', { claims: { sub: 'admin' } })).rejects.toThrow(/claims.sub is set by the service/);
    await expect(createTokenService(base).issue('u', { claims: { sid: 'someone-else' } })).rejects.toThrow(/claims.sid is set by the service/);
  });

  it('the memory store is bounded: past maxFamilies the oldest login is forgotten', async () => {
    const store = new MemoryRefreshStore({ maxFamilies: 2 });
    const tokens = createTokenService({ ...base, store });
    const first = await tokens.issue('a');
    await tokens.issue('b');
    await tokens.issue('c');
    expect(store.size).toBe(2);
    expect(await codeOf(tokens.refresh(first.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
  });
});

describe('review fixes: forged logout, many rotations, many logins, listeners, options', () => {
  const base: TokenServiceOptions = { issuer: ISSUER, audience: AUDIENCE, signingKey: { kid: 'k1', alg: 'HS256', secret: SECRET } };

  it.each(STORES)('%s: a forged token naming a family does not log its user out; a spent one does', async (_kind, makeStore) => {
    const tokens = createTokenService({ ...base, store: makeStore() });
    const first = await tokens.issue('user-1');
    const forged = `${first.refreshToken.slice(0, 23)}${'A'.repeat(43)}`;
    await tokens.logout(forged);
    const second = await tokens.refresh(first.refreshToken);
    await tokens.logout(first.refreshToken);
    expect(await codeOf(tokens.refresh(second.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
  });

  it('memory: reuse is still recognised after a thousand and more rotations', async () => {
    const tokens = createTokenService({ ...base, store: new MemoryRefreshStore() });
    const first = await tokens.issue('victim');
    let pair = first;
    for (let i = 0; i < 1_100; i++) pair = await tokens.refresh(pair.refreshToken);
    expect(await codeOf(tokens.refresh(first.refreshToken))).toBe('REFRESH_TOKEN_REUSED');
    expect(await codeOf(tokens.refresh(pair.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
  });

  it('memory: past maxFamiliesPerSubject the oldest login is revoked, so logoutAll never misses one', async () => {
    const tokens = createTokenService({ ...base, store: new MemoryRefreshStore({ maxFamiliesPerSubject: 2 }) });
    const oldest = await tokens.issue('user-1');
    const middle = await tokens.issue('user-1');
    const newest = await tokens.issue('user-1');
    expect(await codeOf(tokens.refresh(oldest.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
    await tokens.logoutAll('user-1');
    expect(await codeOf(tokens.refresh(middle.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
    expect(await codeOf(tokens.refresh(newest.refreshToken))).toBe('REFRESH_TOKEN_INVALID');
  });

  it('memory: logoutAll reaches a live login however many other users logged in since (the subject index forgets nobody alive)', () => {
    const store = new MemoryRefreshStore({ maxFamilies: 200_001 });
    const record = (subject: string, hash: string) => ({ subject, grant: {}, createdAt: NOW_MS, absoluteExpiresAt: NOW_MS + DAY, idleExpiresAt: NOW_MS + DAY, currentHash: hash, revoked: false });
    store.create('alice-login', record('alice', 'h0'));
    let current = 0;
    // 150 000 other users log in while alice keeps refreshing.
    for (let i = 1; i <= 150_000; i++) {
      store.create(`f${i}`, record(`user-${i}`, 'x'));
      if (i % 50_000 === 0) expect(store.rotate('alice-login', `h${current}`, `h${++current}`, NOW_MS, DAY).outcome).toBe('rotated');
    }
    store.revokeSubject('alice');
    expect(store.rotate('alice-login', `h${current}`, 'next', NOW_MS, DAY).outcome).toBe('invalid');
    expect(store.rotate('f150000', 'x', 'y', NOW_MS, DAY).outcome).toBe('rotated');
  });

  it('memory: the subject index holds exactly the families kept, so maxFamilies bounds it', () => {
    const store = new MemoryRefreshStore({ maxFamilies: 3 });
    const record = (subject: string) => ({ subject, grant: {}, createdAt: NOW_MS, absoluteExpiresAt: NOW_MS + DAY, idleExpiresAt: NOW_MS + DAY, currentHash: 'h', revoked: false });
    for (let i = 0; i < 10; i++) store.create(`f${i}`, record(`user-${i}`));
    expect([store.size, store.subjects]).toEqual([3, 3]);
    store.create('g1', record('user-9'));
    store.create('g2', record('user-9'));
    expect([store.size, store.subjects]).toEqual([3, 1]);
    expect(() => new MemoryRefreshStore({ maxSubjects: 10 } as never)).toThrow(/maxSubjects.*is gone/);
  });

  it('a listener that throws changes nothing: a reuse is still REFRESH_TOKEN_REUSED', async () => {
    const tokens = createTokenService({ ...base, onEvent: () => {
      throw new Error('logger down');
    } });
    const first = await tokens.issue('user-1');
    await tokens.refresh(first.refreshToken);
    expect(await codeOf(tokens.refresh(first.refreshToken))).toBe('REFRESH_TOKEN_REUSED');
  });

  it('the grant is copied at login; unknown options are refused', async () => {
    const roles = ['user'];
    const tokens = createTokenService(base);
    const first = await tokens.issue('user-1', { roles });
    roles.push('admin');
    const next = await tokens.refresh(first.refreshToken);
    const { payload } = await jwtVerify(next.accessToken, hsKey(), { algorithms: ['HS256'] });
    expect(payload['roles']).toEqual(['user']);
    expect(() => createTokenService({ ...base, idleTtlSeconds: 60 } as never)).toThrow('createTokenService(options): unknown option "idleTtlSeconds"');
  });
});
