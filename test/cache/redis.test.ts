/**
 * The Redis store on real Redis: bytes kept exactly, tag sets that expire
 * with their entries, a damaged value (even one that still parses) read as
 * a miss, entries and invalidations shared by two processes (two apps, two
 * clients), the fleet lock (one handler run for concurrent misses on two
 * apps; a waiter that stops as soon as the holder releases it), and Redis
 * stopped or frozen mid-traffic: every request still answered by the
 * handler, bypassing the cache, reported once per episode, recovered by
 * itself.
 */
import { type CacheEvent, type CachedResponse, createResponseCache, decodeEntry, isVaryMarker, RedisCacheStore } from '@ward/cache';
import type { Context, Next } from '@ward/core';
import CachePolicy from 'http-cache-semantics';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { privateRedis } from '../auth/outage.js';
import { cleanups, connect, namer } from '../rate-limit/helpers.js';
import { STACKS } from '../timeout/stacks.js';
import { cacheApp, counter, numbered } from './helpers.js';

const cleanup = cleanups();
const name = namer('test:cache');
let redis: Redis;
beforeAll(async () => {
  redis = await connect(inject('redisUrl'));
});
afterAll(() => redis.disconnect());

const engine = STACKS.find((stack) => stack.name === 'engine')!;
const MAX_AGE_60 = { 'cache-control': 'max-age=60' };

function entry(body: Buffer, tags: string[]): CachedResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/octet-stream', 'x-list': ['a', 'b'] },
    body,
    policy: new CachePolicy({ url: '/', headers: {} }, { status: 200, headers: { 'cache-control': 'max-age=60' } }),
    staleWhileRevalidate: 5,
    staleIfError: 7,
    shareable: true,
    tags,
  };
}

describe('RedisCacheStore', () => {
  it('keeps every byte of a body, the headers, the policy and the windows', async () => {
    const store = new RedisCacheStore({ client: redis, prefix: `${name('bytes')}:` });
    const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await store.set('/bin?|http://h', entry(body, ['bin']), 60_000);
    const back = await store.get('/bin?|http://h');
    expect(back !== undefined && !isVaryMarker(back)).toBe(true);
    const got = back as CachedResponse;
    expect(Buffer.from(got.body).equals(body)).toBe(true);
    expect(got.headers).toEqual({ 'content-type': 'application/octet-stream', 'x-list': ['a', 'b'] });
    expect([got.staleWhileRevalidate, got.staleIfError, got.shareable, got.tags]).toEqual([5, 7, true, ['bin']]);
    expect(got.policy.maxAge()).toBe(60);
  });

  it('Redis expires entries by themselves; a tag set lives as long as its longest entry', async () => {
    const prefix = `${name('ttl')}:`;
    const store = new RedisCacheStore({ client: redis, prefix });
    await store.set('/a?|http://h', entry(Buffer.from('a'), ['t']), 5_000);
    await store.set('/b?|http://h', entry(Buffer.from('b'), ['t']), 60_000);
    await store.set('/c?|http://h', entry(Buffer.from('c'), ['t']), 1_000);
    const entryTtl = await redis.pttl(`${prefix}/a?|http://h`);
    const tagTtl = await redis.pttl(`${prefix}#tag t`);
    expect(entryTtl).toBeGreaterThan(4_000);
    expect(entryTtl).toBeLessThanOrEqual(5_000);
    expect(tagTtl).toBeGreaterThan(59_000);
    expect(tagTtl).toBeLessThanOrEqual(60_000);
  });

  it('invalidating a tag deletes its members and keeps an entry tagged in the meantime indexed', async () => {
    const prefix = `${name('tag')}:`;
    const store = new RedisCacheStore({ client: redis, prefix });
    await store.set('/a?|http://h', entry(Buffer.from('a'), ['users']), 60_000);
    await store.deleteTag('users');
    expect(await store.get('/a?|http://h')).toBeUndefined();
    await store.set('/b?|http://h', entry(Buffer.from('b'), ['users']), 60_000);
    expect(await redis.smembers(`${prefix}#tag users`)).toEqual([`${prefix}/b?|http://h`]);
  });

  it('prefix invalidation scans only its own prefix; glob characters in it are literal', async () => {
    const prefix = `${name('scan')}:`;
    const store = new RedisCacheStore({ client: redis, prefix });
    for (const key of ['/a*?|h', '/ab?|h', '/b?|h']) await store.set(key, entry(Buffer.from(key), []), 60_000);
    await store.deletePrefix('/a*');
    expect(await store.get('/a*?|h')).toBeUndefined();
    expect(await store.get('/ab?|h')).toBeDefined();
    expect(await store.get('/b?|h')).toBeDefined();
  });

  it('a damaged or foreign value is a miss, and the next answer replaces it', async () => {
    const prefix = `${name('damaged')}:`;
    const store = new RedisCacheStore({ client: redis, prefix });
    const app = await cacheApp(engine, { options: { store }, routes: { '/x': numbered(MAX_AGE_60) } });
    cleanup.push(() => app.close());
    await app.get('/x');
    const keys = await redis.keys(`${prefix}/x*`);
    expect(keys).toHaveLength(1);
    await redis.set(keys[0]!, Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2]));
    expect((await app.get('/x')).headers['x-cache']).toBe('MISS');
    expect((await app.get('/x')).headers['x-cache']).toBe('HIT');
  });

  it('a damaged value that still decodes (policy, status, fields, a Vary marker) is a miss the handler answers, and its answer replaces it', async () => {
    const prefix = `${name('junk')}:`;
    const store = new RedisCacheStore({ client: redis, prefix });
    const app = await cacheApp(engine, { options: { store }, routes: { '/x': numbered(MAX_AGE_60) } });
    cleanup.push(() => app.close());
    await app.get('/x');
    const [key] = await redis.keys(`${prefix}/x*`);
    const good = (await redis.getBuffer(key!))!;
    const meta = JSON.parse(good.subarray(4, 4 + good.readUInt32BE(0)).toString('utf8')) as Record<string, unknown> & { h: object; p: object };
    const bytes = (m: object, body = '{"n":0}'): Buffer => {
      const json = Buffer.from(JSON.stringify(m));
      const head = Buffer.alloc(4);
      head.writeUInt32BE(json.byteLength);
      return Buffer.concat([head, json, Buffer.from(body)]);
    };
    const damaged: Record<string, object> = {
      'a policy of nothing but its version': { ...meta, p: { v: 1 } },
      'a policy with fields of the wrong type': { ...meta, p: { ...meta.p, resh: 'x', rescc: null } },
      'a policy with a string time': { ...meta, p: { ...meta.p, t: 'yesterday' } },
      'status 99': { ...meta, s: 99 },
      'status 1000': { ...meta, s: 1000 },
      'status 200.5': { ...meta, s: 200.5 },
      'a field value with CRLF': { ...meta, h: { ...meta.h, 'x-evil': 'a\r\nset-cookie: pwn=1' } },
      'a field value with NUL': { ...meta, h: { ...meta.h, 'x-evil': 'a\u0000b' } },
      'a field name that is no token': { ...meta, h: { ...meta.h, 'bad name': 'v' } },
      'a field value that is an object': { ...meta, h: { ...meta.h, 'x-bad': { a: 1 } } },
      'a Set-Cookie, never stored': { ...meta, h: { ...meta.h, 'set-cookie': 'sid=1' } },
      'a Content-Length, never stored': { ...meta, h: { ...meta.h, 'content-length': '999' } },
      'negative and unbounded stale windows': { ...meta, swr: -5, sie: 1e308 },
      'a Vary marker naming no string': { v: 1, vary: [1, null, {}], t: [] },
      'a Vary marker naming nothing': { v: 1, vary: [], t: [] },
      'a Vary marker that is no list': { v: 1, vary: 'accept', t: [] },
    };
    // Read back as no entry at all…
    for (const [what, value] of Object.entries(damaged)) expect([what, decodeEntry(bytes(value))]).toEqual([what, undefined]);
    // …while a marker naming __proto__ is a marker like any other, and a good entry's fields come back without a prototype.
    expect(decodeEntry(bytes({ v: 1, vary: ['__proto__'], t: [] }))).toEqual({ vary: ['__proto__'], tags: [] });
    const back = decodeEntry(good) as CachedResponse;
    expect([back.status, Object.getPrototypeOf(back.headers), back.policy.maxAge()]).toEqual([200, null, 60]);
    damaged['a Vary marker naming __proto__'] = { v: 1, vary: ['__proto__'], t: [] };
    let runs = app.runs['/x']!;
    for (const [what, value] of Object.entries(damaged)) {
      await redis.set(key!, bytes(value), 'PX', 60_000);
      const miss = await app.get('/x');
      runs += 1;
      expect([what, miss.status, miss.headers['x-cache'], miss.json()]).toEqual([what, 200, 'MISS', { n: runs }]);
      expect(miss.headers['x-evil'] ?? miss.headers['x-bad'] ?? miss.headers['set-cookie']).toBeUndefined();
      const hit = await app.get('/x');
      expect([what, hit.status, hit.headers['x-cache'], hit.json()]).toEqual([what, 200, 'HIT', { n: runs }]);
    }
  });

  it('refuses a client that is not an ioredis client', () => {
    expect(() => new RedisCacheStore({ client: {} })).toThrow('RedisCacheStore client must be an ioredis Redis or Cluster instance');
  });
});

/** A fleet behind one name: every process sees the same Host. */
const HOST = { headers: { host: 'api.example' } };

describe.each(STACKS)('two processes sharing Redis on $name', (stack) => {
  it('an entry one stores, the other serves; an invalidation on one reaches both', async () => {
    const prefix = `${name('fleet')}:`;
    const other = await connect(inject('redisUrl'), {}, cleanup);
    const a = await cacheApp(stack, { options: { store: new RedisCacheStore({ client: redis, prefix }) }, routes: { '/users': numbered({ ...MAX_AGE_60, 'cache-tag': 'users' }) } });
    const b = await cacheApp(stack, { options: { store: new RedisCacheStore({ client: other, prefix }) }, routes: { '/users': numbered({ ...MAX_AGE_60, 'cache-tag': 'users' }) } });
    cleanup.push(() => a.close(), () => b.close());
    expect((await a.get('/users', HOST)).headers['x-cache']).toBe('MISS');
    const fromB = await b.get('/users', HOST);
    expect([fromB.headers['x-cache'], fromB.json()]).toEqual(['HIT', { n: 1 }]);
    expect(b.runs['/users']).toBeUndefined();
    await b.cache.invalidateTag('users');
    expect((await a.get('/users', HOST)).headers['x-cache']).toBe('MISS');
  });

  it('with the fleet lock, concurrent misses on two apps run the handler once', async () => {
    const prefix = `${name('lock')}:`;
    const other = await connect(inject('redisUrl'), {}, cleanup);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let runs = 0;
    let arrivedOnB = 0;
    const slow = async (io: Parameters<ReturnType<typeof numbered>>[0]) => {
      runs += 1;
      await gate;
      io.setHeader('cache-control', 'max-age=60');
      io.json(200, { slow: true });
    };
    const a = await cacheApp(stack, { options: { store: new RedisCacheStore({ client: redis, prefix }), fleetLock: { ttlMs: 5_000, pollMs: 10 } }, routes: { '/slow': slow } });
    const b = await cacheApp(stack, {
      options: { store: new RedisCacheStore({ client: other, prefix }), fleetLock: { ttlMs: 5_000, pollMs: 10 } },
      before: [(_ctx: Context, next: Next) => (arrivedOnB++, next())],
      routes: { '/slow': slow },
    });
    cleanup.push(() => a.close(), () => b.close());
    const first = a.get('/slow', HOST);
    while (runs !== 1) await new Promise((resolve) => setImmediate(resolve));
    const others = [b.get('/slow', HOST), b.get('/slow', HOST), b.get('/slow', HOST)];
    while (arrivedOnB < 3) await new Promise((resolve) => setImmediate(resolve));
    // B has found the lock taken (one lock call, then polling) before the handler ends.
    await new Promise<void>((resolve) => {
      const check = (): void => void redis.exists(`${prefix}#lock /slow?|http://api.example`).then((n) => (n === 1 ? resolve() : setImmediate(check)));
      check();
    });
    release();
    const answers = await Promise.all([first, ...others]);
    expect(runs).toBe(1);
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200]);
    expect(answers.slice(1).every((res) => /collapsed/.test(String(res.headers['cache-status'])))).toBe(true);
  });

  it('with the fleet lock, a waiter runs its own handler as soon as the holder releases the lock without storing (a private answer), not after the lock TTL', async () => {
    const prefix = `${name('lock-private')}:`;
    const other = await connect(inject('redisUrl'), {}, cleanup);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let foundTaken!: () => void;
    const taken = new Promise<void>((resolve) => (foundTaken = resolve));
    /** B's store, telling when B found the lock held by A. */
    class Watched extends RedisCacheStore {
      override async lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
        const got = await super.lock(key, ttlMs);
        if (got === undefined) foundTaken();
        return got;
      }
    }
    const answer = (by: string) => (io: Parameters<ReturnType<typeof numbered>>[0]) => {
      io.setHeader('cache-control', 'private, max-age=60');
      io.json(200, { by });
    };
    // A lock TTL far past the test's timeout: a waiter that sleeps it out fails the test.
    const fleetLock = { ttlMs: 60_000, pollMs: 10 };
    const a = await cacheApp(stack, {
      options: { store: new RedisCacheStore({ client: redis, prefix }), fleetLock },
      routes: { '/private': async (io) => (await gate, answer('a')(io)) },
    });
    const b = await cacheApp(stack, { options: { store: new Watched({ client: other, prefix }), fleetLock }, routes: { '/private': answer('b') } });
    cleanup.push(() => a.close(), () => b.close());
    const first = a.get('/private', HOST);
    while (a.runs['/private'] !== 1) await new Promise((resolve) => setImmediate(resolve));
    const waiter = b.get('/private', HOST);
    await taken;
    release();
    const fromA = await first;
    expect([fromA.status, fromA.json(), fromA.headers['cache-status']]).toEqual([200, { by: 'a' }, 'ward; fwd=uri-miss; detail=private']);
    const fromB = await waiter;
    expect([fromB.status, fromB.json(), fromB.headers['x-cache']]).toEqual([200, { by: 'b' }, 'MISS']);
    expect([a.runs['/private'], b.runs['/private']]).toEqual([1, 1]);
    expect(await redis.exists(`${prefix}#lock /private?|http://api.example`)).toBe(0);
  });
});

describe('Redis down mid-traffic', () => {
  it('stopped: every request is answered by the handler (BYPASS), one report per episode, and the cache recovers by itself', async () => {
    const { server, client } = await privateRedis(cleanup);
    const events: CacheEvent[] = [];
    const registry = new Registry();
    const cache = createResponseCache({ store: new RedisCacheStore({ client }), registry, onEvent: (event) => events.push(event) });
    const app = await cacheApp(engine, { cache, routes: { '/users': numbered(MAX_AGE_60) } });
    cleanup.push(() => app.close());
    await app.get('/users');
    expect((await app.get('/users')).headers['x-cache']).toBe('HIT');
    await server.stop();
    for (let i = 0; i < 5; i++) {
      const res = await app.get('/users');
      expect(res.status).toBe(200);
      expect([res.headers['x-cache'], res.headers['cache-status']]).toEqual(['BYPASS', 'ward; fwd=bypass; detail=store-error']);
    }
    expect(events.map((e) => e.type)).toEqual(['store-degraded']);
    expect(await counter(registry, 'ward_cache_bypasses_total', { reason: 'store-error' })).toBe(5);
    await server.start();
    await new Promise<void>((resolve) => client.once('ready', () => resolve()));
    // Back, empty: a miss that is stored, then hits.
    expect((await app.get('/users')).headers['x-cache']).toBe('MISS');
    expect((await app.get('/users')).headers['x-cache']).toBe('HIT');
    expect(events.map((e) => e.type)).toEqual(['store-degraded', 'store-recovered']);
  });

  it('frozen: a store call past storeTimeoutMs bypasses the cache; no request waits for Redis', async () => {
    const { server, client } = await privateRedis(cleanup);
    const events: CacheEvent[] = [];
    const cache = createResponseCache({ store: new RedisCacheStore({ client }), registry: new Registry(), storeTimeoutMs: 30, onEvent: (event) => events.push(event) });
    const app = await cacheApp(engine, { cache, routes: { '/users': numbered(MAX_AGE_60) } });
    cleanup.push(() => app.close());
    await app.get('/users');
    server.freeze();
    cleanup.push(() => server.thaw());
    const res = await app.get('/users');
    expect([res.status, res.headers['x-cache']]).toEqual([200, 'BYPASS']);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'store-degraded', operation: 'get' });
    server.thaw();
  });
});
