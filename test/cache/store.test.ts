/**
 * @ward/cache's first pieces: keys that normalise what is the same resource
 * and key only what the response varies on, and the memory store —
 * bounded by bytes, each entry expiring by its own TTL (on an injected
 * clock), invalidation by key, prefix and tag with no tag left behind.
 */
import { MemoryCacheStore, type CachedResponse, entrySize, resourceKey, sortedQuery, variantKey, varyNames } from '@ward/cache';
import { describe, expect, it } from 'vitest';

const entry = (body: string, tags: string[] = []): CachedResponse => ({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body), policy: {}, tags });

describe('cache keys', () => {
  const parts = (query: string, host = 'API.example.com') => ({ host, path: '/api/v1/users', query });

  it('sorted (default): parameter order does not matter, values do; the host is case-insensitive, the path is not', () => {
    const key = resourceKey(undefined, 'test');
    expect(key(parts('b=2&a=1'))).toBe(key(parts('a=1&b=2')));
    expect(key(parts('a=1&a=0'))).toBe(key(parts('a=0&a=1')));
    expect(key(parts('a=1'))).not.toBe(key(parts('a=2')));
    expect(key(parts('', 'api.example.com'))).toBe(key(parts('', 'API.EXAMPLE.COM')));
    expect(key({ host: 'h', path: '/A', query: '' })).not.toBe(key({ host: 'h', path: '/a', query: '' }));
    expect(sortedQuery('q=a%20b&p=1')).toBe('p=1&q=a+b');
  });

  it('exact, ignore, or a function of the parameters', () => {
    expect(resourceKey('exact', 't')(parts('b=2&a=1'))).not.toBe(resourceKey('exact', 't')(parts('a=1&b=2')));
    expect(resourceKey('ignore', 't')(parts('b=2'))).toBe(resourceKey('ignore', 't')(parts('utm=x')));
    const page = resourceKey((params) => params.get('page') ?? '1', 't');
    expect(page(parts('page=2&utm_source=mail'))).toBe(page(parts('utm_source=ads&page=2')));
    expect(() => resourceKey('random' as never, 'responseCache(options)')).toThrow("responseCache(options).query must be 'sorted', 'exact', 'ignore' or a function");
  });

  it('Vary: names lower-cased, sorted, deduplicated; * stands alone', () => {
    expect(varyNames('Accept-Language, accept-encoding,ACCEPT-LANGUAGE')).toEqual(['accept-encoding', 'accept-language']);
    expect(varyNames(undefined)).toEqual([]);
    expect(varyNames('Origin, *')).toBe('*');
  });

  it('the variant part keys only the varied headers, whitespace-normalised; an absent header is its own variant', () => {
    const headers: Record<string, string> = { 'accept-language': 'en-GB ,  en', cookie: 'session=1' };
    const other: Record<string, string> = { 'accept-language': 'en-GB,en', cookie: 'session=2' };
    expect(variantKey(['accept-language'], (n) => headers[n])).toBe(variantKey(['accept-language'], (n) => other[n]));
    expect(variantKey(['accept-language'], (n) => headers[n])).toBe('\naccept-language=en-GB,en');
    expect(variantKey(['accept-language'], () => undefined)).not.toBe(variantKey(['accept-language'], (n) => headers[n]));
  });
});

describe('MemoryCacheStore', () => {
  it('keeps an entry until its own TTL, on the injected clock', () => {
    // lru-cache reads a start of 0 as "no TTL": the clock starts later, as performance.now() does.
    const clock = { now: 1_000_000 };
    const store = new MemoryCacheStore({ now: () => clock.now });
    store.set('a', entry('A'), 1_000);
    store.set('b', entry('B'), 5_000);
    clock.now += 999;
    expect(Buffer.from(store.get('a')!.body).toString()).toBe('A');
    clock.now += 2;
    expect(store.get('a')).toBeUndefined();
    expect(store.get('b')).toBeDefined();
    store.set('zero', entry('Z'), 0);
    expect(store.get('zero')).toBeUndefined();
  });

  it('is bounded by bytes: past maxSizeBytes the least recently used go; an entry larger than the whole cache is not kept', () => {
    const body = 'x'.repeat(1_000);
    const one = entrySize('k0', entry(body));
    const store = new MemoryCacheStore({ maxSizeBytes: one * 3 });
    for (let i = 0; i < 5; i++) store.set(`k${i}`, entry(body), 60_000);
    expect(store.size).toBe(3);
    expect(store.sizeBytes).toBeLessThanOrEqual(one * 3);
    expect(store.get('k0')).toBeUndefined();
    expect(store.get('k4')).toBeDefined();
    store.set('huge', entry('y'.repeat(one * 4), ['t']), 60_000);
    expect(store.get('huge')).toBeUndefined();
    store.deleteTag('t');
    expect(store.size).toBe(3);
  });

  it('invalidation by key, by prefix and by tag; tags of evicted or replaced entries do not linger', () => {
    const store = new MemoryCacheStore();
    store.set('h/api/users?', entry('list', ['users']), 60_000);
    store.set('h/api/users/1?', entry('one', ['users', 'user:1']), 60_000);
    store.set('h/api/orders?', entry('orders', ['orders']), 60_000);
    store.deleteTag('user:1');
    expect(store.get('h/api/users/1?')).toBeUndefined();
    expect(store.get('h/api/users?')).toBeDefined();
    store.deletePrefix('h/api/users');
    expect(store.get('h/api/users?')).toBeUndefined();
    expect(store.get('h/api/orders?')).toBeDefined();
    // Replaced without its tag: deleting the old tag leaves the new entry alone.
    store.set('h/api/orders?', entry('orders v2'), 60_000);
    store.deleteTag('orders');
    expect(Buffer.from(store.get('h/api/orders?')!.body).toString()).toBe('orders v2');
    store.delete('h/api/orders?');
    expect(store.size).toBe(0);
  });

  it('refuses bad options', () => {
    expect(() => new MemoryCacheStore({ maxSizeBytes: 0 })).toThrow('MemoryCacheStore({ maxSizeBytes }) must be an integer ≥ 1, got 0');
    expect(() => new MemoryCacheStore({ now: 1 as never })).toThrow(/now/);
  });
});
