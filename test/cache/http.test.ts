/**
 * responseCache() over real HTTP on every stack (engine, Express 5 and 4,
 * Fastify 5), each rule of the issue its own test: what is stored and
 * served, what never is, the answer's fields, conditional requests, Vary,
 * per-user entries, request directives, single-flight and invalidation.
 * Clocks are the cache's own (`now`), moved by hand. Every rule runs on
 * the memory store and on the Redis store (the set-up's own server, a
 * fresh key prefix per test).
 */
import { type CachedResponse, type CacheEntry, type CacheStore, createResponseCache, isVaryMarker, MemoryCacheStore } from '@ward/cache';
import type { Context, Next } from '@ward/core';
import { deferred } from '@ward/core/testing';
import CachePolicy from 'http-cache-semantics';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { STACKS } from '../timeout/stacks.js';
import { type CacheApp, cacheApp as makeApp, counter, numbered, storesByStack } from './helpers.js';

const MAX_AGE_60 = { 'cache-control': 'max-age=60' };

describe.each(storesByStack('http', STACKS))('responseCache on $name', ({ store, stack }) => {
  let app: CacheApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  // Every app of this block gets a fresh store of this kind.
  const cacheApp = (s: typeof stack, spec: Parameters<typeof makeApp>[1]) => makeApp(s, { ...spec, options: { store: store.make(), ...spec.options } });

  it('a miss is stored and the next request is a hit with the same body and fields, an Age, and the handler not run', async () => {
    app = await cacheApp(stack, { routes: { '/users': numbered(MAX_AGE_60) } });
    const first = await app.get('/users');
    expect(first.status).toBe(200);
    expect(first.json()).toEqual({ n: 1 });
    expect(first.headers['x-cache']).toBe('MISS');
    expect(first.headers['cache-status']).toBe('ward; fwd=uri-miss; stored; ttl=60');
    expect(first.headers.age).toBeUndefined();
    app.clock.t += 7_000;
    const second = await app.get('/users');
    expect(second.status).toBe(200);
    expect(second.json()).toEqual({ n: 1 });
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers['cache-status']).toBe('ward; hit; ttl=53');
    expect(second.headers.age).toBe('7');
    // The same fields as the original, minus hop-by-hop ones and the cache's own.
    const own = new Set(['x-cache', 'cache-status', 'age', 'connection', 'keep-alive', 'transfer-encoding']);
    const fields = (res: typeof first) => Object.fromEntries(Object.entries(res.headers).filter(([name]) => !own.has(name)));
    expect(fields(second)).toEqual(fields(first));
    expect(first.headers.date).toBeDefined();
    expect(app.runs['/users']).toBe(1);
    expect(await counter(app.registry, 'ward_cache_requests_total', { result: 'hit' })).toBe(1);
    expect(await counter(app.registry, 'ward_cache_requests_total', { result: 'miss' })).toBe(1);
  });

  it('past its freshness the entry is not served: the handler runs again and the new answer is stored', async () => {
    app = await cacheApp(stack, { routes: { '/users': numbered(MAX_AGE_60) } });
    await app.get('/users');
    app.clock.t += 60_001;
    const late = await app.get('/users');
    expect(late.json()).toEqual({ n: 2 });
    expect(late.headers['cache-status']).toBe('ward; fwd=stale; stored; ttl=60');
    expect((await app.get('/users')).json()).toEqual({ n: 2 });
  });

  it('s-maxage wins over max-age for this shared cache; an origin Age counts against freshness', async () => {
    app = await cacheApp(stack, {
      routes: { '/s': numbered({ 'cache-control': 'max-age=10, s-maxage=60' }), '/aged': numbered({ 'cache-control': 'max-age=30', age: '20' }) },
    });
    await app.get('/s');
    await app.get('/aged');
    app.clock.t += 30_000;
    expect((await app.get('/s')).headers['x-cache']).toBe('HIT');
    expect((await app.get('/aged')).headers['x-cache']).toBe('MISS');
  });

  it('HEAD is answered from the GET entry: the fields and length of the GET, no body', async () => {
    app = await cacheApp(stack, { routes: { '/users': numbered(MAX_AGE_60) } });
    const get = await app.get('/users');
    const head = await app.get('/users', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['x-cache']).toBe('HIT');
    expect(head.body.byteLength).toBe(0);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(app.runs['/users']).toBe(1);
  });

  it('a HEAD miss runs the handler and stores nothing', async () => {
    app = await cacheApp(stack, { routes: { '/users': numbered(MAX_AGE_60) } });
    const head = await app.get('/users', { method: 'HEAD' });
    expect(head.headers['cache-status']).toBe('ward; fwd=uri-miss; detail=method');
    expect((await app.get('/users')).headers['x-cache']).toBe('MISS');
  });

  it('an ETag (a strong one made from the body when the handler set none) and If-None-Match → 304 with no body, from cache and from fresh answers alike', async () => {
    app = await cacheApp(stack, { routes: { '/users': numbered(MAX_AGE_60), '/fresh': (io) => (io.setHeader('cache-control', 'no-store'), io.json(200, { same: true })) } });
    const first = await app.get('/users');
    const etag = first.headers.etag!;
    expect(etag).toMatch(stack.name.startsWith('express') ? /^W\/"/ : /^"[A-Za-z0-9_-]{22}"$/);
    for (const inm of [etag, `"other", ${etag}`, etag.replace(/^W\//, ''), `W/${etag.replace(/^W\//, '')}`, '*']) {
      const cached = await app.get('/users', { headers: { 'if-none-match': inm } });
      expect(cached.status, inm).toBe(304);
      expect(cached.body.byteLength).toBe(0);
      expect(cached.headers.etag).toBe(etag);
      expect(cached.headers['cache-control']).toBe('max-age=60');
      expect(cached.headers['content-type']).toBeUndefined();
    }
    expect((await app.get('/users', { headers: { 'if-none-match': '"nope"' } })).status).toBe(200);
    // If-Modified-Since is ignored when If-None-Match is present (RFC 9110 §13.1.3).
    expect((await app.get('/users', { headers: { 'if-none-match': '"nope"', 'if-modified-since': 'Wed, 01 Jan 2100 00:00:00 GMT' } })).status).toBe(200);
    const fresh = await app.get('/fresh');
    const conditional = await app.get('/fresh', { headers: { 'if-none-match': fresh.headers.etag! } });
    expect(conditional.status).toBe(304);
    expect(conditional.body.byteLength).toBe(0);
    expect(app.runs['/fresh']).toBe(2);
    expect(app.runs['/users']).toBe(1);
  });

  it('If-Modified-Since against a stored Last-Modified', async () => {
    app = await cacheApp(stack, { routes: { '/doc': numbered({ 'cache-control': 'max-age=60', 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT' }) } });
    await app.get('/doc');
    expect((await app.get('/doc', { headers: { 'if-modified-since': 'Tue, 02 Jan 2024 00:00:00 GMT' } })).status).toBe(304);
    expect((await app.get('/doc', { headers: { 'if-modified-since': 'Sun, 31 Dec 2023 00:00:00 GMT' } })).status).toBe(200);
  });

  it.each([
    ['no-store', { 'cache-control': 'no-store, max-age=60' }, 'no-store'],
    ['private', { 'cache-control': 'private, max-age=60' }, 'private'],
    ['no-cache', { 'cache-control': 'no-cache, max-age=60' }, 'no-cache'],
    ['Set-Cookie', { 'cache-control': 'max-age=60', 'set-cookie': 'session=abc' }, 'set-cookie'],
    ['Vary: *', { 'cache-control': 'max-age=60', vary: '*' }, 'vary-star'],
    ['no freshness and no default', {}, 'no-freshness'],
  ])('never stored: %s', async (_name, headers, detail) => {
    app = await cacheApp(stack, { routes: { '/x': numbered(headers) } });
    const first = await app.get('/x');
    expect(first.headers['cache-status']).toBe(`ward; fwd=uri-miss; detail=${detail}`);
    const second = await app.get('/x');
    expect(second.json()).toEqual({ n: 2 });
    expect(second.headers['x-cache']).toBe('MISS');
    expect(await counter(app.registry, 'ward_cache_not_stored_total', { reason: detail })).toBe(2);
  });

  it('never stored: statuses outside the cacheable set (500, 429, 302) even with max-age; 404 is cacheable', async () => {
    app = await cacheApp(stack, {
      routes: { '/500': numbered(MAX_AGE_60, 500), '/429': numbered(MAX_AGE_60, 429), '/302': numbered({ ...MAX_AGE_60, location: '/x' }, 302), '/404': numbered(MAX_AGE_60, 404) },
    });
    for (const path of ['/500', '/429', '/302']) {
      expect((await app.get(path)).headers['cache-status'], path).toBe('ward; fwd=uri-miss; detail=status');
      expect((await app.get(path)).headers['x-cache'], path).toBe('MISS');
    }
    await app.get('/404');
    const again = await app.get('/404');
    expect(again.status).toBe(404);
    expect(again.headers['x-cache']).toBe('HIT');
  });

  it('never stored: a body over maxBodyBytes', async () => {
    app = await cacheApp(stack, { options: { maxBodyBytes: 16 }, routes: { '/big': (io) => (io.setHeader('cache-control', 'max-age=60'), io.json(200, { big: 'x'.repeat(64) })) } });
    expect((await app.get('/big')).headers['cache-status']).toBe('ward; fwd=uri-miss; detail=too-large');
    expect((await app.get('/big')).headers['x-cache']).toBe('MISS');
  });

  it('never stored: a streamed answer, which passes through whole', async () => {
    app = await cacheApp(stack, {
      routes: {
        '/stream': (io) => {
          io.setHeader('cache-control', 'max-age=60');
          io.stream(
            (async function* () {
              yield 'one\n';
              await new Promise((resolve) => setImmediate(resolve));
              yield 'two\n';
            })(),
          );
        },
      },
    });
    expect((await app.get('/stream')).text).toBe('one\ntwo\n');
    expect((await app.get('/stream')).text).toBe('one\ntwo\n');
    expect(app.runs['/stream']).toBe(2);
    expect(await counter(app.registry, 'ward_cache_not_stored_total', { reason: 'streamed' })).toBe(2);
  });

  it('requests with Authorization or Cookie: not stored unless the response says public, s-maxage or must-revalidate (RFC 9111 §3.5), and never served an anonymous entry that did not', async () => {
    app = await cacheApp(stack, {
      routes: { '/plain': numbered(MAX_AGE_60), '/public': numbered({ 'cache-control': 'public, max-age=60' }), '/s': numbered({ 'cache-control': 's-maxage=60' }) },
    });
    const auth = { authorization: 'Bearer a' };
    expect((await app.get('/plain', { headers: auth })).headers['cache-status']).toBe('ward; fwd=uri-miss; detail=credentials');
    expect((await app.get('/plain', { headers: { cookie: 'sid=1' } })).headers['cache-status']).toBe('ward; fwd=uri-miss; detail=credentials');
    // An anonymous entry exists now; a request with credentials does not get it.
    await app.get('/plain');
    expect((await app.get('/plain')).headers['x-cache']).toBe('HIT');
    const withAuth = await app.get('/plain', { headers: auth });
    expect(withAuth.headers['x-cache']).toBe('MISS');
    expect(withAuth.headers['cache-status']).toBe('ward; fwd=miss; detail=credentials');
    for (const path of ['/public', '/s']) {
      expect((await app.get(path, { headers: auth })).headers['cache-status'], path).toMatch(/; stored; /);
      expect((await app.get(path, { headers: { authorization: 'Bearer b' } })).headers['x-cache'], path).toBe('HIT');
    }
  });

  it('per-user entries: two users with different tokens never see each other’s body; private answers are kept for their own user', async () => {
    const identify = (ctx: Context, next: Next) => {
      const token = ctx.req.header('authorization');
      if (token !== undefined) (ctx.state as { user?: { id: string } }).user = { id: token.slice('Bearer '.length) };
      return next();
    };
    app = await cacheApp(stack, {
      options: { perUser: true },
      before: [identify],
      routes: { '/me': (io) => (io.setHeader('cache-control', 'private, max-age=60'), io.json(200, { me: io.header('authorization') })) },
    });
    const alice = { authorization: 'Bearer alice' };
    const bob = { authorization: 'Bearer bob' };
    expect((await app.get('/me', { headers: alice })).json()).toEqual({ me: 'Bearer alice' });
    expect((await app.get('/me', { headers: bob })).json()).toEqual({ me: 'Bearer bob' });
    const aliceAgain = await app.get('/me', { headers: alice });
    const bobAgain = await app.get('/me', { headers: bob });
    expect([aliceAgain.headers['x-cache'], aliceAgain.json()]).toEqual(['HIT', { me: 'Bearer alice' }]);
    expect([bobAgain.headers['x-cache'], bobAgain.json()]).toEqual(['HIT', { me: 'Bearer bob' }]);
    // Anonymous: the shared rules (private is not stored), and never a user's entry.
    const anonymous = await app.get('/me');
    expect(anonymous.json()).toEqual({});
    expect(anonymous.headers['cache-status']).toBe('ward; fwd=uri-miss; detail=private');
    // Neither Host nor a keyed forwarding header can spell the key's separators: no forged way into alice's entry.
    const hers = { ...alice, host: 'a.test', 'x-forwarded-host': 'x' };
    expect((await app.get('/me', { headers: hers })).headers['cache-status']).toMatch(/; stored; /);
    expect((await app.get('/me', { headers: hers })).headers['x-cache']).toBe('HIT');
    for (const forged of [{ host: 'a.test|x-forwarded-host=x|user="alice"' }, { host: 'a.test', 'x-forwarded-host': 'x|user="alice"' }]) {
      const attempt = await app.get('/me', { headers: forged });
      expect([attempt.headers['x-cache'], attempt.json()], JSON.stringify(forged)).toEqual(['MISS', {}]);
    }
    await app.cache.invalidateUser('alice');
    expect((await app.get('/me', { headers: alice })).headers['x-cache']).toBe('MISS');
    expect((await app.get('/me', { headers: bob })).headers['x-cache']).toBe('HIT');
  });

  it('Vary: Accept-Language keys the variants (whitespace-normalised); an absent header is its own variant', async () => {
    app = await cacheApp(stack, {
      routes: { '/hello': (io) => (io.setHeader('cache-control', 'max-age=60'), io.setHeader('vary', 'Accept-Language'), io.json(200, { lang: io.header('accept-language') ?? null })) },
    });
    const en = await app.get('/hello', { headers: { 'accept-language': 'en-GB, en' } });
    const fr = await app.get('/hello', { headers: { 'accept-language': 'fr' } });
    expect(fr.headers['cache-status']).toBe('ward; fwd=vary-miss; stored; ttl=60');
    const none = await app.get('/hello');
    expect([en.json(), fr.json(), none.json()]).toEqual([{ lang: 'en-GB, en' }, { lang: 'fr' }, { lang: null }]);
    const enAgain = await app.get('/hello', { headers: { 'accept-language': 'en-GB,en' } });
    expect([enAgain.headers['x-cache'], enAgain.json()]).toEqual(['HIT', { lang: 'en-GB, en' }]);
    expect((await app.get('/hello', { headers: { 'accept-language': 'fr' } })).json()).toEqual({ lang: 'fr' });
    expect((await app.get('/hello')).json()).toEqual({ lang: null });
    expect(app.runs['/hello']).toBe(3);
  });

  it('a Vary naming an Object.prototype property (Constructor, __proto__, toString) keys variants like any other header, never a failure', async () => {
    const varying = (vary: string) => numbered({ ...MAX_AGE_60, vary });
    app = await cacheApp(stack, { routes: { '/c': varying('Constructor'), '/p': varying('__proto__'), '/t': varying('toString, hasOwnProperty') } });
    for (const path of ['/c', '/p', '/t']) {
      const first = await app.get(path);
      expect([path, first.status, first.headers['x-cache'], first.json()]).toEqual([path, 200, 'MISS', { n: 1 }]);
      const again = await app.get(path);
      expect([path, again.status, again.headers['x-cache'], again.json()]).toEqual([path, 200, 'HIT', { n: 1 }]);
    }
    // A request that carries the header is its own variant.
    const sent = await app.get('/c', { headers: { constructor: 'x' } });
    expect([sent.status, sent.headers['x-cache'], sent.headers['cache-status'], sent.json()]).toEqual([200, 'MISS', 'ward; fwd=vary-miss; stored; ttl=60', { n: 2 }]);
    expect((await app.get('/c', { headers: { constructor: 'x' } })).json()).toEqual({ n: 2 });
    expect((await app.get('/c')).json()).toEqual({ n: 1 });
    expect([app.runs['/c'], app.runs['/p'], app.runs['/t']]).toEqual([2, 1, 1]);
  });

  it('the key: method-independent, host- and query-aware (sorted by name), and forwarding headers are keyed so they cannot poison', async () => {
    app = await cacheApp(stack, { routes: { '/q': (io) => (io.setHeader('cache-control', 'max-age=60'), io.json(200, { host: io.header('x-forwarded-host') ?? io.header('host') })) } });
    await app.get('/q?a=1&b=2');
    expect((await app.get('/q?b=2&a=1')).headers['x-cache']).toBe('HIT');
    expect((await app.get('/q?a=2&b=2')).headers['x-cache']).toBe('MISS');
    const poisoned = await app.get('/q?a=1&b=2', { headers: { 'x-forwarded-host': 'evil.example' } });
    expect(poisoned.json()).toEqual({ host: 'evil.example' });
    const clean = await app.get('/q?a=1&b=2');
    expect(clean.headers['x-cache']).toBe('HIT');
    expect(clean.json()).not.toEqual({ host: 'evil.example' });
    const otherHost = await app.get('/q?a=1&b=2', { headers: { host: 'other.example' } });
    expect(otherHost.headers['x-cache']).toBe('MISS');
  });

  it("request Cache-Control: no-cache and max-age=0 run the handler and refresh the entry; no-store keeps nothing; 'ignore' serves the entry anyway", async () => {
    app = await cacheApp(stack, { routes: { '/r': numbered(MAX_AGE_60) } });
    await app.get('/r');
    const reload = await app.get('/r', { headers: { 'cache-control': 'no-cache' } });
    expect([reload.json(), reload.headers['cache-status']]).toEqual([{ n: 2 }, 'ward; fwd=request; stored; ttl=60']);
    expect((await app.get('/r', { headers: { 'cache-control': 'max-age=0' } })).json()).toEqual({ n: 3 });
    expect((await app.get('/r', { headers: { pragma: 'no-cache' } })).json()).toEqual({ n: 4 });
    expect((await app.get('/r')).json()).toEqual({ n: 4 });
    await app.close();
    app = await cacheApp(stack, { routes: { '/r': numbered(MAX_AGE_60) } });
    const noStore = await app.get('/r', { headers: { 'cache-control': 'no-store' } });
    expect([noStore.headers['x-cache'], noStore.headers['cache-status']]).toEqual(['MISS', 'ward; fwd=uri-miss; detail=request-no-store']);
    expect(await counter(app.registry, 'ward_cache_not_stored_total', { reason: 'request-no-store' })).toBe(1);
    expect((await app.get('/r')).headers['x-cache']).toBe('MISS');
    // no-store forbids storing, not reading (RFC 9111 §5.2.1.5): a fresh entry is served.
    expect((await app.get('/r', { headers: { 'cache-control': 'no-store' } })).headers['x-cache']).toBe('HIT');
    expect((await app.registry.getSingleMetric('ward_cache_bypasses_total')!.get()).values.map((v) => v.labels.reason)).not.toContain('request-no-store');
    await app.close();
    app = await cacheApp(stack, { options: { requestCacheControl: 'ignore' }, routes: { '/r': numbered(MAX_AGE_60) } });
    await app.get('/r');
    expect((await app.get('/r', { headers: { 'cache-control': 'no-cache' } })).headers['x-cache']).toBe('HIT');
  });

  it('only-if-cached with nothing stored → 504 problem; with an entry → the entry', async () => {
    app = await cacheApp(stack, { routes: { '/o': numbered(MAX_AGE_60) } });
    const miss = await app.get('/o', { headers: { 'cache-control': 'only-if-cached' } });
    expect(miss.status).toBe(504);
    expect(miss.json()).toMatchObject({ status: 504, code: 'CACHE_ONLY_IF_CACHED' });
    expect(app.runs['/o']).toBeUndefined();
    await app.get('/o');
    expect((await app.get('/o', { headers: { 'cache-control': 'only-if-cached' } })).headers['x-cache']).toBe('HIT');
  });

  it('a GET with a body bypasses the cache', async () => {
    app = await cacheApp(stack, { routes: { '/b': numbered(MAX_AGE_60) } });
    const fat = await app.get('/b', { body: 'x=1', headers: { 'content-type': 'text/plain', 'content-length': '3' } });
    expect([fat.headers['x-cache'], fat.headers['cache-status']]).toEqual(['BYPASS', 'ward; fwd=bypass; detail=request-body']);
    expect((await app.get('/b')).headers['x-cache']).toBe('MISS');
  });

  it('100 concurrent misses of one key: the handler runs once, every request gets its answer', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let arrived = 0;
    app = await cacheApp(stack, {
      before: [(_ctx: Context, next: Next) => (arrived++, next())],
      routes: {
        '/slow': async (io) => {
          await gate;
          io.setHeader('cache-control', 'max-age=60');
          io.json(200, { slow: true });
        },
      },
    });
    const all = Array.from({ length: 100 }, () => app!.get('/slow'));
    // Every request has reached the cache (from there to its wait is synchronous on the memory store).
    while (arrived < 100 || app.runs['/slow'] !== 1) await new Promise((resolve) => setImmediate(resolve));
    release();
    const answers = await Promise.all(all);
    expect(app.runs['/slow']).toBe(1);
    expect(answers.every((res) => res.status === 200 && res.text === '{"slow":true}')).toBe(true);
    expect(answers.filter((res) => res.headers['x-cache'] === 'MISS')).toHaveLength(1);
    expect(await counter(app.registry, 'ward_cache_collapsed_total', {})).toBe(99);
  });

  it('tags from the Cache-Tag header (removed before sending) and invalidation by tag, resource and prefix', async () => {
    app = await cacheApp(stack, {
      routes: {
        '/users': numbered({ ...MAX_AGE_60, 'cache-tag': 'users' }),
        '/users/1': numbered({ ...MAX_AGE_60, 'cache-tag': 'users, user:1' }),
        '/orders': numbered(MAX_AGE_60),
      },
    });
    const first = await app.get('/users');
    expect(first.headers['cache-tag']).toBeUndefined();
    await app.get('/users/1');
    await app.get('/orders');
    const hit = await app.get('/users');
    expect(hit.headers['cache-tag']).toBeUndefined();
    await app.cache.invalidateTag('user:1');
    expect((await app.get('/users/1')).headers['x-cache']).toBe('MISS');
    expect((await app.get('/users')).headers['x-cache']).toBe('HIT');
    await app.cache.invalidate('/orders');
    expect((await app.get('/orders')).headers['x-cache']).toBe('MISS');
    await app.cache.invalidatePrefix('/users');
    expect((await app.get('/users')).headers['x-cache']).toBe('MISS');
    expect((await app.get('/users/1')).headers['x-cache']).toBe('MISS');
    expect((await app.get('/orders')).headers['x-cache']).toBe('HIT');
  });

  it('a successful unsafe request invalidates its target (RFC 9111 §4.4); a failed one does not', async () => {
    let fail = false;
    app = await cacheApp(stack, {
      routes: { '/items/1': numbered(MAX_AGE_60), '/items': numbered(MAX_AGE_60) },
      posts: {
        '/items/1': (io) => io.json(fail ? 409 : 200, { ok: !fail }),
        '/items': (io) => (io.setHeader('location', '/items/1'), io.json(201, { created: true })),
      },
    });
    await app.get('/items/1');
    fail = true;
    expect((await app.get('/items/1', { method: 'POST' })).status).toBe(409);
    expect((await app.get('/items/1')).headers['x-cache']).toBe('HIT');
    fail = false;
    expect((await app.get('/items/1', { method: 'POST' })).status).toBe(200);
    expect((await app.get('/items/1')).headers['x-cache']).toBe('MISS');
    // Location on the same host goes too.
    await app.get('/items');
    expect((await app.get('/items', { method: 'POST' })).status).toBe(201);
    expect((await app.get('/items/1')).headers['x-cache']).toBe('MISS');
    expect((await app.get('/items')).headers['x-cache']).toBe('MISS');
  });

  it('fields an outer middleware set before the cache are not replayed from the entry', async () => {
    let id = 0;
    const requestId = (ctx: Context, next: Next) => {
      ctx.res.setHeader('x-request-id', `req-${++id}`);
      return next();
    };
    app = await cacheApp(stack, { before: [requestId], routes: { '/users': numbered(MAX_AGE_60) } });
    expect((await app.get('/users')).headers['x-request-id']).toBe('req-1');
    const hit = await app.get('/users');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['x-request-id']).toBe('req-2');
  });

  it('defaultMaxAge stores answers that state no freshness; the client still sees the handler’s own fields', async () => {
    app = await cacheApp(stack, { options: { defaultMaxAge: 30 }, routes: { '/d': numbered() } });
    const first = await app.get('/d');
    expect(first.headers['cache-status']).toBe('ward; fwd=uri-miss; stored; ttl=30');
    expect(first.headers['cache-control']).toBeUndefined();
    app.clock.t += 29_000;
    expect((await app.get('/d')).headers['x-cache']).toBe('HIT');
    app.clock.t += 2_000;
    expect((await app.get('/d')).headers['x-cache']).toBe('MISS');
  });
});

describe('responseCache with a store that refuses an entry', () => {
  it('an answer larger than the whole memory store is served but not claimed stored', async () => {
    const engine = STACKS.find((s) => s.name === 'engine')!;
    const app = await makeApp(engine, { options: { store: new MemoryCacheStore({ maxSizeBytes: 200 }) }, routes: { '/big': (io) => (io.setHeader('cache-control', 'max-age=60'), io.json(200, { big: 'x'.repeat(300) })) } });
    try {
      const first = await app.get('/big');
      expect([first.status, first.headers['cache-status']]).toEqual([200, 'ward; fwd=uri-miss']);
      expect((await app.get('/big')).headers['x-cache']).toBe('MISS');
    } finally {
      await app.close();
    }
  });
});

describe('responseCache options', () => {
  it('refuses unknown options and bad values, naming them', () => {
    expect(() => createResponseCache({ ttl: 5 } as never)).toThrow('createResponseCache(options) has an unknown option "ttl"');
    expect(() => createResponseCache({ defaultMaxAge: -1, registry: new Registry() })).toThrow('createResponseCache(options).defaultMaxAge must be an integer from 0 to 31536000, got -1');
    expect(() => createResponseCache({ store: {} as never })).toThrow(/store must be a CacheStore/);
    expect(() => createResponseCache({ fleetLock: {}, store: new MemoryCacheStore(), registry: new Registry() })).toThrow('createResponseCache(options).fleetLock needs a store with lock() (RedisCacheStore); memory has none');
    expect(() => createResponseCache({ cacheStatusName: 'two words' })).toThrow(/cacheStatusName must be a structured-field token/);
    expect(() => createResponseCache({ requestCacheControl: 'sometimes' as never })).toThrow("createResponseCache(options).requestCacheControl must be 'honor' or 'ignore'");
  });
});

describe.each(STACKS)('responseCache, hostile input, on $name', (stack) => {
  let app: CacheApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('a forged refresh header does not make the handler run; odd request directives and validators never fail a request', async () => {
    app = await makeApp(stack, { routes: { '/x': numbered(MAX_AGE_60) } });
    await app.get('/x');
    const forged = await app.get('/x', { headers: { 'ward-cache-refresh': 'guessed-token' } });
    expect([forged.status, forged.headers['x-cache']]).toEqual([200, 'HIT']);
    const odd: Record<string, string>[] = [
      { 'cache-control': 'max-age=abc, min-fresh=-1, max-stale, =, ,,, no-transform' },
      { 'cache-control': `max-age=${'9'.repeat(40)}` },
      { 'if-none-match': Array.from({ length: 500 }, (_, i) => `"t${i}"`).join(', ') },
      { 'if-modified-since': 'not a date' },
      { 'if-none-match': 'W/' },
      { pragma: 'no-cache, '.repeat(200) },
    ];
    for (const headers of odd) {
      const res = await app.get('/x', { headers });
      expect(res.status, JSON.stringify(headers).slice(0, 80)).toBe(200);
      expect(res.json()).toMatchObject({ n: expect.any(Number) });
    }
    // Pragma: no-cache is honoured (the handler ran); nothing else forced it.
    expect(app.runs['/x']).toBe(2);
  });

  it('odd response fields from the handler (a long Vary, a huge tag list, a bad Expires) are stored or refused, never a failure', async () => {
    app = await makeApp(stack, {
      routes: {
        '/vary': numbered({ ...MAX_AGE_60, vary: Array.from({ length: 100 }, (_, i) => `x-h${i}`).join(', ') }),
        '/tags': numbered({ ...MAX_AGE_60, 'cache-tag': Array.from({ length: 500 }, (_, i) => `t${i}`).join(',') }),
        '/expires': numbered({ expires: 'yesterday-ish' }),
      },
    });
    for (const path of ['/vary', '/tags', '/expires']) {
      expect((await app.get(path)).status, path).toBe(200);
      expect((await app.get(path)).status, path).toBe(200);
    }
    expect((await app.get('/vary')).headers['x-cache']).toBe('HIT');
    expect((await app.get('/tags')).headers['x-cache']).toBe('HIT');
    expect((await app.get('/expires')).headers['cache-status']).toBe('ward; fwd=uri-miss; detail=no-freshness');
    // At most 64 handler tags are kept: the 64th invalidates, the 65th does not exist.
    await app.cache.invalidateTag('t64');
    expect((await app.get('/tags')).headers['x-cache']).toBe('HIT');
    await app.cache.invalidateTag('t63');
    expect((await app.get('/tags')).headers['x-cache']).toBe('MISS');
  });
});

describe.each(STACKS)('responseCache with a store that hands back an entry it cannot serve, on $name', (stack) => {
  /** A store of your own that damages the next entry it reads (once). */
  class Damaging implements CacheStore {
    readonly kind = 'damaging';
    readonly memory = new MemoryCacheStore();
    damage: ((entry: CachedResponse) => CachedResponse) | undefined;
    get(key: string): CacheEntry | undefined {
      const entry = this.memory.get(key);
      const damage = this.damage;
      if (entry === undefined || isVaryMarker(entry) || damage === undefined) return entry;
      this.damage = undefined;
      return damage(entry);
    }
    set(key: string, entry: CacheEntry, ttlMs: number): boolean {
      return this.memory.set(key, entry, ttlMs);
    }
    delete(key: string): void {
      this.memory.delete(key);
    }
    deletePrefix(prefix: string): void {
      this.memory.deletePrefix(prefix);
    }
    deleteTag(tag: string): void {
      this.memory.deleteTag(tag);
    }
  }
  const broken = CachePolicy.fromObject({ v: 1 } as unknown as CachePolicy.CachePolicyObject);
  const throwing = new CachePolicy({ url: '/', headers: {} }, { status: 200, headers: { 'cache-control': 'max-age=60' } });
  throwing.age = () => {
    throw new Error('damaged');
  };
  const damages: Record<string, (entry: CachedResponse) => CachedResponse> = {
    'status 99': (entry) => ({ ...entry, status: 99 }),
    'status 1000': (entry) => ({ ...entry, status: 1000 }),
    'status 200.5': (entry) => ({ ...entry, status: 200.5 }),
    'a field name that is no token': (entry) => ({ ...entry, headers: { ...entry.headers, 'x-before': 'left over', 'bad name': 'v' } }),
    'a field value with CRLF': (entry) => ({ ...entry, headers: { ...entry.headers, 'x-before': 'left over', 'x-evil': 'a\r\nset-cookie: pwn=1' } }),
    'a field value that is no string': (entry) => ({ ...entry, headers: { ...entry.headers, 'x-before': 'left over', 'x-bad': { a: 1 } as unknown as string } }),
    'a policy of nothing but its version': (entry) => ({ ...entry, policy: broken }),
    'a policy that throws': (entry) => ({ ...entry, policy: throwing }),
  };

  it('each is a miss: the handler answers (no left-over fields) and its answer replaces the entry', async () => {
    const store = new Damaging();
    const app = await makeApp(stack, { options: { store }, routes: { '/x': numbered(MAX_AGE_60) } });
    try {
      expect((await app.get('/x')).headers['x-cache']).toBe('MISS');
      let n = 1;
      for (const [what, damage] of Object.entries(damages)) {
        store.damage = damage;
        const miss = await app.get('/x');
        n += 1;
        expect([what, miss.status, miss.headers['x-cache'], miss.headers['cache-status'], miss.json()]).toEqual([what, 200, 'MISS', 'ward; fwd=uri-miss; stored; ttl=60', { n }]);
        expect([what, miss.headers['x-before'], miss.headers['x-evil'], miss.headers['set-cookie']]).toEqual([what, undefined, undefined, undefined]);
        const hit = await app.get('/x');
        expect([what, hit.status, hit.headers['x-cache'], hit.json()]).toEqual([what, 200, 'HIT', { n }]);
      }
      expect(await counter(app.registry, 'ward_cache_requests_total', { result: 'miss' })).toBe(n);
    } finally {
      await app.close();
    }
  });
});

describe('responseCache with a failing store', () => {
  it('the store failing while a collapsed miss waits for the leader: the waiter is answered by its own handler (a bypass), never left without an answer', async () => {
    const engine = STACKS.find((s) => s.name === 'engine')!;
    const memory = new MemoryCacheStore();
    let gets = 0;
    const secondWaits = deferred<void>();
    const flaky: CacheStore = {
      kind: 'flaky',
      get: (key) => {
        gets += 1;
        // The second request's lookup is in: the leader may finish; from now on every read fails.
        if (gets === 2) secondWaits.resolve();
        return gets > 2 ? Promise.reject(new Error('LOADING')) : memory.get(key);
      },
      set: (key, entry, ttl) => memory.set(key, entry, ttl),
      delete: (key) => memory.delete(key),
      deletePrefix: (prefix) => memory.deletePrefix(prefix),
      deleteTag: (tag) => memory.deleteTag(tag),
    };
    const cache = createResponseCache({ store: flaky, registry: new Registry(), onEvent: () => {} });
    let n = 0;
    const app = await makeApp(engine, {
      cache,
      routes: {
        '/x': async (io) => {
          n += 1;
          const mine = n;
          if (mine === 1) await secondWaits.promise;
          for (const [name, value] of Object.entries(MAX_AGE_60)) io.setHeader(name, value);
          io.json(200, { n: mine });
        },
      },
    });
    try {
      const [first, second] = await Promise.all([app.get('/x'), app.get('/x')]);
      expect([first.status, first.json()]).toEqual([200, { n: 1 }]);
      expect([second.status, second.json(), second.headers['x-cache']]).toEqual([200, { n: 2 }, 'BYPASS']);
    } finally {
      await app.close();
    }
  });

  it('a write that fails is counted and reported once, the answer still goes out; an invalidation that fails rejects with CACHE_STORE_UNAVAILABLE', async () => {
    const engine = STACKS.find((s) => s.name === 'engine')!;
    const memory = new MemoryCacheStore();
    let failing = true;
    const flaky: CacheStore = {
      kind: 'flaky',
      get: (key) => memory.get(key),
      set: (key, entry, ttl) => (failing ? Promise.reject(new Error('READONLY')) : memory.set(key, entry, ttl)),
      delete: (key) => memory.delete(key),
      deletePrefix: (prefix) => memory.deletePrefix(prefix),
      deleteTag: (tag) => (failing ? Promise.reject(new Error('READONLY')) : memory.deleteTag(tag)),
    };
    const events: string[] = [];
    const registry = new Registry();
    const cache = createResponseCache({ store: flaky, registry, onEvent: (event) => events.push(event.type) });
    const app = await makeApp(engine, { cache, routes: { '/x': numbered(MAX_AGE_60) } });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await app.get('/x');
        expect([res.status, res.headers['cache-status']]).toEqual([200, 'ward; fwd=uri-miss']);
      }
      expect(events).toEqual(['store-degraded']);
      expect(await counter(registry, 'ward_cache_store_errors_total', { operation: 'set' })).toBe(3);
      await expect(cache.invalidateTag('users')).rejects.toMatchObject({ name: 'CacheError', code: 'CACHE_STORE_UNAVAILABLE' });
      failing = false;
      expect((await app.get('/x')).headers['cache-status']).toBe('ward; fwd=uri-miss; stored; ttl=60');
      expect(events).toEqual(['store-degraded', 'store-recovered']);
      expect((await app.get('/x')).headers['x-cache']).toBe('HIT');
    } finally {
      await app.close();
    }
  });
});
