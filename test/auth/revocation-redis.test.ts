/**
 * RedisRevocationStore against real Redis: the same answers as the memory
 * store, keys that expire by themselves at the token's exp, a watermark
 * that only rises, one hash slot per subject (so a check is one MGET on a
 * cluster), several app servers seeing one revocation, and an outage
 * answered by the verifier's failure mode and deadline, recovering by
 * itself once Redis is back.
 */
import type { Redis } from 'ioredis';
import { MemoryRevocationStore, RedisRevocationStore, type RevocationStore, createJwtVerifier, isAuthError } from '@ward/auth';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cleanups, connect, namer } from '../rate-limit/helpers.js';
import { privateRedis } from './outage.js';
import { AUDIENCE, ISSUER, SECRET, claims, hs256 } from './tokens.js';

const unique = namer('rev');
const cleanup = cleanups();
let redis: Redis;
beforeAll(async () => {
  redis = await connect(inject('redisUrl'));
});
afterAll(() => redis.disconnect());

const nowS = () => Math.floor(Date.now() / 1000);

describe.each([
  ['memory', () => new MemoryRevocationStore()],
  ['redis', () => new RedisRevocationStore({ client: redis, prefix: `${unique('p')}:` })],
] as const)('%s revocation store', (_kind, make) => {
  it('revokes one (iss, jti) and nothing else', async () => {
    const store: RevocationStore = make();
    const token = { issuer: ISSUER, subject: 'u1', tokenId: 'j1', expiresAt: nowS() + 60 };
    await store.revokeToken(token);
    expect(await store.isRevoked({ issuer: ISSUER, subject: 'u1', tokenId: 'j1', issuedAt: nowS() })).toBe(true);
    expect(await store.isRevoked({ issuer: ISSUER, subject: 'u1', tokenId: 'j2', issuedAt: nowS() })).toBe(false);
    expect(await store.isRevoked({ issuer: 'https://other/', subject: 'u1', tokenId: 'j1', issuedAt: nowS() })).toBe(false);
  });

  it('revokes one session (iss, sub, sid): its tokens with or without a jti, no other session, subject or issuer; a passed one is ignored', async () => {
    const store: RevocationStore = make();
    await store.revokeSession!({ issuer: ISSUER, subject: 'u7', sessionId: 's1', expiresAt: nowS() + 60 });
    await store.revokeSession!({ issuer: ISSUER, subject: 'u7', sessionId: 'gone', expiresAt: nowS() - 1 });
    const at = (query: { subject?: string; sessionId?: string; tokenId?: string; issuer?: string }) =>
      store.isRevoked({ issuer: query.issuer ?? ISSUER, subject: query.subject ?? 'u7', tokenId: query.tokenId, issuedAt: nowS(), sessionId: query.sessionId });
    expect(await at({ sessionId: 's1', tokenId: 'any' })).toBe(true);
    expect(await at({ sessionId: 's1' })).toBe(true);
    expect(await at({ sessionId: 's2', tokenId: 'any' })).toBe(false);
    expect(await at({ sessionId: 's1', subject: 'u8' })).toBe(false);
    expect(await at({ sessionId: 's1', issuer: 'https://other/' })).toBe(false);
    expect(await at({ tokenId: 'any' })).toBe(false);
    expect(await at({ sessionId: 'gone' })).toBe(false);
  });

  it('a watermark revokes tokens issued at or before it, rises and never falls', async () => {
    const store: RevocationStore = make();
    const t = nowS();
    await store.revokeSubject(ISSUER, 'u2', t, 900);
    const at = (issuedAt: number | undefined) => store.isRevoked({ issuer: ISSUER, subject: 'u2', tokenId: 'x', issuedAt });
    expect([await at(t - 1), await at(t), await at(t + 1), await at(undefined)]).toEqual([true, true, false, true]);
    await store.revokeSubject(ISSUER, 'u2', t - 100, 900);
    expect(await at(t)).toBe(true);
    await store.revokeSubject(ISSUER, 'u2', t + 5, 900);
    expect(await at(t + 1)).toBe(true);
    expect(await store.isRevoked({ issuer: ISSUER, subject: 'u3', tokenId: 'x', issuedAt: t - 1 })).toBe(false);
  });

  it('a fractional iat (RFC 7519 allows one) within the watermark’s second is revoked too', async () => {
    const store: RevocationStore = make();
    const t = nowS();
    await store.revokeSubject(ISSUER, 'u6', t, 900);
    const at = (issuedAt: number) => store.isRevoked({ issuer: ISSUER, subject: 'u6', tokenId: 'x', issuedAt });
    expect([await at(t + 0.4), await at(t + 0.999), await at(t + 1)]).toEqual([true, true, false]);
  });

  it('a token without a jti is judged by its iat against the watermark too: one issued after it is not revoked', async () => {
    const store: RevocationStore = make();
    const t = nowS();
    await store.revokeSubject(ISSUER, 'u4', t, 900);
    const at = (issuedAt: number | undefined) => store.isRevoked({ issuer: ISSUER, subject: 'u4', tokenId: undefined, issuedAt });
    expect([await at(t - 1), await at(t), await at(t + 1), await at(undefined)]).toEqual([true, true, false, true]);
    expect(await store.isRevoked({ issuer: ISSUER, subject: 'u5', tokenId: undefined, issuedAt: t - 1 })).toBe(false);
  });
});

describe('RedisRevocationStore keys', () => {
  it('a revoked jti expires at the token exp, a watermark after its ttl; both keys of a subject share one hash tag; no claim text in keys', async () => {
    const prefix = `${unique('keys')}:`;
    const store = new RedisRevocationStore({ client: redis, prefix });
    const exp = nowS() + 120;
    await store.revokeToken({ issuer: ISSUER, subject: 'alice@example.com', tokenId: 'jti-secret-looking', expiresAt: exp });
    await store.revokeSubject(ISSUER, 'alice@example.com', nowS(), 900);
    const keys = (await redis.keys(`${prefix}*`)).sort();
    expect(keys).toHaveLength(2);
    const tags = keys.map((key) => /\{([^}]+)\}/.exec(key)![1]);
    expect(tags[0]).toBe(tags[1]);
    expect(keys.join(' ')).not.toMatch(/alice|jti-secret/);
    const jtiKey = keys.find((key) => key.includes(':jti:'))!;
    expect(await redis.call('EXPIRETIME', jtiKey)).toBe(exp);
    const ttl = await redis.ttl(keys.find((key) => key.endsWith(':before'))!);
    expect(ttl).toBeGreaterThan(890);
    expect(ttl).toBeLessThanOrEqual(900);
  });

  it('an already expired token is not stored', async () => {
    const prefix = `${unique('past')}:`;
    await new RedisRevocationStore({ client: redis, prefix }).revokeToken({ issuer: ISSUER, subject: 's', tokenId: 'j', expiresAt: nowS() - 1 });
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
  });

  it('two app servers: a revocation through one is seen by the other on its next check', async () => {
    const prefix = `${unique('fleet')}:`;
    const other = await connect(inject('redisUrl'), {}, cleanup);
    const a = createJwtVerifier({ algorithms: ['HS256'], secrets: [{ kid: 'k1', secret: SECRET }], issuer: ISSUER, audience: AUDIENCE, revocation: new RedisRevocationStore({ client: redis, prefix }), revocationFailureMode: 'closed', revocationTimeoutMs: 1_000 });
    const b = createJwtVerifier({ algorithms: ['HS256'], secrets: [{ kid: 'k1', secret: SECRET }], issuer: ISSUER, audience: AUDIENCE, revocation: new RedisRevocationStore({ client: other, prefix }), revocationFailureMode: 'closed', revocationTimeoutMs: 1_000 });
    const token = await hs256(claims({ iat: nowS(), exp: nowS() + 900, jti: 'fleet-1' }));
    await a.verify(token);
    await b.verify(token);
    await new RedisRevocationStore({ client: redis, prefix }).revokeToken({ issuer: ISSUER, subject: 'user-1', tokenId: 'fleet-1', expiresAt: nowS() + 900 });
    await expect(b.verify(token)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
    await expect(a.verify(token)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
  });
});

describe('a Redis outage', () => {
  it('closed: AUTH_UNAVAILABLE while down (the client is not ready: no wait); open: accepted; back: revocations count again by themselves', async () => {
    const { server, client } = await privateRedis(cleanup);
    const store = new RedisRevocationStore({ client });
    const make = (mode: 'closed' | 'open') => createJwtVerifier({ algorithms: ['HS256'], secrets: [{ kid: 'k1', secret: SECRET }], issuer: ISSUER, audience: AUDIENCE, revocation: store, revocationFailureMode: mode, revocationTimeoutMs: 200 });
    const closed = make('closed');
    const open = make('open');
    const token = await hs256(claims({ iat: nowS(), exp: nowS() + 900, jti: 'outage-1' }));
    await closed.verify(token);

    await server.stop();
    await new Promise<void>((resolve) => (client.status === 'ready' ? client.once('close', () => resolve()) : resolve()));
    const error = await Promise.resolve(closed.verify(token)).catch((e: unknown) => e);
    expect(isAuthError(error) && error.code).toBe('AUTH_UNAVAILABLE');
    expect((await open.verify(token)).subject).toBe('user-1');

    await server.start();
    await new Promise<void>((resolve) => client.once('ready', () => resolve()));
    await store.revokeToken({ issuer: ISSUER, subject: 'user-1', tokenId: 'outage-1', expiresAt: nowS() + 900 });
    await expect(closed.verify(token)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
    await expect(open.verify(token)).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
  });
});
