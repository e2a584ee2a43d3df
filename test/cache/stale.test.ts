/**
 * Stale content on every stack, on a fake clock (vitest's fake `Date`;
 * sockets and timers stay real): stale-while-revalidate serves the stale
 * entry at once and refreshes it exactly once in the background (a real
 * request to the same server); stale-if-error stands in for a handler that
 * answers 5xx or throws, within its window only, and never where the
 * response forbids stale serving (RFC 9111 §4.2.4, RFC 5861). On the
 * memory and the Redis store.
 */
import { type CacheEvent, isCacheRefresh } from '@ward/cache';
import type { Context, Next } from '@ward/core';
import { type Deferred, deferred } from '@ward/core/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Script, STACKS } from '../timeout/stacks.js';
import { type CacheApp, type Clock, cacheApp as makeApp, counter, storesByStack } from './helpers.js';

/** The cache reads the faked Date. */
const fakeDate = (): Clock => ({ t: 0, now: () => Date.now() });
const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);

describe.each(storesByStack('stale', STACKS))('stale content on $name', ({ store, stack }) => {
  const cacheApp = (s: typeof stack, spec: Parameters<typeof makeApp>[1]) => makeApp(s, { ...spec, options: { store: store.make(), ...spec.options } });
  let app: CacheApp | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await app?.close();
    app = undefined;
  });

  /** A route answering `{ n }`, or failing the way `mode` says. */
  function flaky(headers: Record<string, string>): { script: Script; mode: { now: 'ok' | '503' | 'throw' } } {
    const mode = { now: 'ok' as 'ok' | '503' | 'throw' };
    let n = 0;
    return {
      mode,
      script: (io) => {
        if (mode.now === 'throw') throw new Error('handler exploded');
        n += 1;
        for (const [name, value] of Object.entries(headers)) io.setHeader(name, value);
        if (mode.now === '503') io.json(503, { down: true });
        else io.json(200, { n });
      },
    };
  }

  it('stale-while-revalidate: the stale entry at once, exactly one background refresh for concurrent requests, then the refreshed entry; past the window a blocking miss', async () => {
    const events: CacheEvent[] = [];
    let refreshed: Deferred<void> = deferred<void>();
    const route = flaky({ 'cache-control': 'max-age=10, stale-while-revalidate=30' });
    app = await cacheApp(stack, {
      clock: fakeDate(),
      options: {
        onEvent: (event) => {
          events.push(event);
          if (event.type === 'refreshed') refreshed.resolve();
        },
      },
      routes: { '/feed': route.script },
    });
    expect((await app.get('/feed')).json()).toEqual({ n: 1 });
    advance(15_000);
    const stale = await Promise.all([app.get('/feed'), app.get('/feed'), app.get('/feed')]);
    for (const res of stale) {
      expect(res.json()).toEqual({ n: 1 });
      expect(res.headers['x-cache']).toBe('STALE');
      expect(res.headers['cache-status']).toBe('ward; hit; ttl=-5');
      expect(res.headers.age).toBe('15');
    }
    await refreshed.promise;
    expect(app.runs['/feed']).toBe(2);
    expect(events.filter((e) => e.type === 'refreshed')).toEqual([{ type: 'refreshed', cache: 'default', path: '/feed', stored: true }]);
    const fresh = await app.get('/feed');
    expect([fresh.headers['x-cache'], fresh.json()]).toEqual(['HIT', { n: 2 }]);
    expect(await counter(app.registry, 'ward_cache_refreshes_total', { outcome: 'stored' })).toBe(1);
    // Fresh until +10 s, stale-while-revalidate until +40 s: past that, the request waits for the handler.
    refreshed = deferred<void>();
    advance(41_000);
    const blocking = await app.get('/feed');
    expect([blocking.headers['x-cache'], blocking.headers['cache-status'], blocking.json()]).toEqual(['MISS', 'ward; fwd=stale; stored; ttl=10', { n: 3 }]);
  });

  it('stale-while-revalidate: a background refresh answered 5xx is told as refresh-failed (counted failed), and the stale entry stays', async () => {
    const events: CacheEvent[] = [];
    const failed = deferred<void>();
    const route = flaky({ 'cache-control': 'max-age=10, stale-while-revalidate=30' });
    app = await cacheApp(stack, {
      clock: fakeDate(),
      options: {
        onEvent: (event) => {
          events.push(event);
          if (event.type === 'refresh-failed') failed.resolve();
        },
      },
      routes: { '/feed': route.script },
    });
    await app.get('/feed');
    advance(15_000);
    route.mode.now = '503';
    expect((await app.get('/feed')).headers['x-cache']).toBe('STALE');
    await failed.promise;
    expect(events.map((e) => e.type)).toEqual(['refresh-failed']);
    expect(await counter(app.registry, 'ward_cache_refreshes_total', { outcome: 'failed' })).toBe(1);
    expect((await app.get('/feed')).json()).toEqual({ n: 1 });
  });

  it('stale-if-error: a 503 or a throw within the window gets the stale entry; past the window the failure passes through', async () => {
    const events: CacheEvent[] = [];
    const route = flaky({ 'cache-control': 'max-age=10, stale-if-error=60' });
    app = await cacheApp(stack, { clock: fakeDate(), options: { onEvent: (event) => events.push(event) }, routes: { '/feed': route.script } });
    await app.get('/feed');
    advance(20_000);
    route.mode.now = '503';
    const unavailable = await app.get('/feed');
    expect([unavailable.status, unavailable.json(), unavailable.headers['x-cache']]).toEqual([200, { n: 1 }, 'STALE']);
    expect(unavailable.headers['cache-status']).toBe('ward; fwd=stale; fwd-status=503; ttl=-10; detail=stale-if-error');
    expect(unavailable.headers['content-type']).toMatch(/^application\/json/);
    route.mode.now = 'throw';
    const thrown = await app.get('/feed');
    expect([thrown.status, thrown.json(), thrown.headers['cache-status']]).toEqual([200, { n: 1 }, 'ward; fwd=stale; ttl=-10; detail=stale-if-error']);
    expect(events.map((e) => (e.type === 'stale-if-error' ? e.status : e.type))).toEqual([503, undefined]);
    expect(await counter(app.registry, 'ward_cache_stale_if_error_total', {})).toBe(2);
    advance(60_000);
    route.mode.now = '503';
    const late = await app.get('/feed');
    expect([late.status, late.json()]).toEqual([503, { down: true }]);
  });

  it("no stale serving where the response forbids it: must-revalidate, and s-maxage without its own window; the option's window serves the rest", async () => {
    const strict = flaky({ 'cache-control': 'max-age=10, must-revalidate, stale-if-error=60' });
    const shared = flaky({ 'cache-control': 's-maxage=10' });
    const plain = flaky({ 'cache-control': 'max-age=10' });
    app = await cacheApp(stack, { clock: fakeDate(), options: { staleIfError: 60 }, routes: { '/strict': strict.script, '/shared': shared.script, '/plain': plain.script } });
    for (const path of ['/strict', '/shared', '/plain']) await app.get(path);
    advance(20_000);
    strict.mode.now = '503';
    shared.mode.now = '503';
    expect((await app.get('/strict')).status).toBe(503);
    expect((await app.get('/shared')).status).toBe(503);
    // The option's window applies to a response that states none.
    plain.mode.now = '503';
    expect((await app.get('/plain')).headers['x-cache']).toBe('STALE');
  });
});

describe('isCacheRefresh', () => {
  it("is true for a cache's own background refresh only, never for a client's header", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const engine = STACKS.find((s) => s.name === 'engine')!;
    const seen: boolean[] = [];
    const refreshed = deferred<void>();
    const app = await makeApp(engine, {
      clock: fakeDate(),
      options: { onEvent: (event) => event.type === 'refreshed' && refreshed.resolve() },
      before: [(ctx: Context, next: Next) => (seen.push(isCacheRefresh(ctx)), next())],
      routes: { '/feed': (io) => (io.setHeader('cache-control', 'max-age=10, stale-while-revalidate=30'), io.json(200, { ok: true })) },
    });
    try {
      await app.get('/feed', { headers: { 'ward-cache-refresh': 'forged' } });
      advance(15_000);
      await app.get('/feed');
      await refreshed.promise;
      expect(seen).toEqual([false, false, true]);
    } finally {
      vi.useRealTimers();
      await app.close();
    }
  });
});
