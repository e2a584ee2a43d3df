/**
 * @ward/cache's first pieces: keys that normalise what is the same resource
 * and key only what the response varies on, and the memory store —
 * bounded by bytes, each entry expiring by its own TTL (on an injected
 * clock), invalidation by key, prefix and tag with no tag left behind.
 */
import { MemoryCacheStore, type CachedResponse, entrySize, queryKeying, resourceKey, resourcePath, sortedQuery, variantKey, varyNames } from '@ward/cache';
import CachePolicy from 'http-cache-semantics';
import { describe, expect, it } from 'vitest';

const policy = new CachePolicy({ url: '/', headers: {} }, { status: 200, headers: { 'cache-control': 'max-age=60' } });
const entry = (body: string, tags: string[] = []): CachedResponse => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(body),
  policy,
  staleWhileRevalidate: 0,
  staleIfError: 0,
  shareable: false,
  tags,
});
const bodyOf = (value: unknown): string => Buffer.from((value as CachedResponse).body).toString();

describe('cache keys', () => {
  const parts = (query: string, host = 'API.example.com', scheme = 'https') => ({ scheme, host, path: '/api/v1/users', query });
  const sorted = queryKeying(undefined, 'test');

  it('sorted (default): parameter names in any order share a key; values, and the order of a repeated name, do not; the host is case-insensitive, the path and scheme are not', () => {
    expect(resourceKey(parts('b=2&a=1'), sorted)).toBe(resourceKey(parts('a=1&b=2'), sorted));
    expect(resourceKey(parts('id=2&id=1'), sorted)).not.toBe(resourceKey(parts('id=1&id=2'), sorted));
    expect(resourceKey(parts('a=1'), sorted)).not.toBe(resourceKey(parts('a=2'), sorted));
    expect(resourceKey(parts('', 'api.example.com'), sorted)).toBe(resourceKey(parts('', 'API.EXAMPLE.COM'), sorted));
    expect(resourceKey(parts('', 'h', 'http'), sorted)).not.toBe(resourceKey(parts('', 'h', 'https'), sorted));
    expect(resourceKey({ scheme: 'http', host: 'h', path: '/A', query: '' }, sorted)).not.toBe(resourceKey({ scheme: 'http', host: 'h', path: '/a', query: '' }, sorted));
    expect(resourceKey({ scheme: 'http', host: 'h', path: '/a%2Fb', query: '' }, sorted)).not.toBe(resourceKey({ scheme: 'http', host: 'h', path: '/a/b', query: '' }, sorted));
    expect(sortedQuery('q=a%20b&p=1')).toBe('p=1&q=a%20b');
    expect(sortedQuery('q=a+b')).toBe(sortedQuery('q=a%20b'));
    expect(sortedQuery('q=%2B')).not.toBe(sortedQuery('q=+'));
    expect(resourceKey(parts('page=2'), sorted)).toBe('/api/v1/users?page=2|https://api.example.com');
  });

  it('sorted: a pair that is no valid UTF-8 once decoded is kept byte for byte, so it never merges with another spelling (Fastify hands the handler the raw text)', () => {
    const distinct = ['q=%FF', 'q=%ff', 'q=%EF%BF%BD', 'q=%ZZ', 'q=%25ZZ', 'q=%ZZ%41', 'q=%25ZZA', 'q=%FF%7C', 'q=%FF|', '%FF=1', '%EF%BF%BD=1'];
    expect(new Set(distinct.map(sortedQuery)).size).toBe(distinct.length);
    for (const query of distinct) expect(resourcePath('/p', sortedQuery(query)).split('|')).toHaveLength(1);
    // Valid spellings of one value still share a key, and the kept pairs still sort among the others.
    expect(sortedQuery('a=%31&b=%41')).toBe(sortedQuery('b=A&a=1'));
    expect(sortedQuery('z=1&q=%FF&a=2')).toBe(sortedQuery('a=2&q=%FF&z=1'));
    expect(sortedQuery('q=1&q=%FF')).not.toBe(sortedQuery('q=%FF&q=1'));
  });

  it('exact, ignore, or a function of the parameters', () => {
    const exact = queryKeying('exact', 't');
    const ignore = queryKeying('ignore', 't');
    expect(resourceKey(parts('b=2&a=1'), exact)).not.toBe(resourceKey(parts('a=1&b=2'), exact));
    expect(resourceKey(parts('b=2'), ignore)).toBe(resourceKey(parts('utm=x'), ignore));
    const page = queryKeying((params) => params.get('page') ?? '1', 't');
    expect(resourceKey(parts('page=2&utm_source=mail'), page)).toBe(resourceKey(parts('utm_source=ads&page=2'), page));
    expect(() => queryKeying('random' as never, 'responseCache(options)')).toThrow("responseCache(options).query must be 'sorted', 'exact', 'ignore' or a function");
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
    expect(variantKey(['accept-language'], () => undefined)).not.toBe(variantKey(['accept-language'], () => ''));
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
    expect(bodyOf(store.get('a'))).toBe('A');
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
    expect(bodyOf(store.get('h/api/orders?'))).toBe('orders v2');
    store.delete('h/api/orders?');
    expect(store.size).toBe(0);
  });

  it('refuses bad options', () => {
    expect(() => new MemoryCacheStore({ maxSizeBytes: 0 })).toThrow('MemoryCacheStore({ maxSizeBytes }) must be an integer ≥ 1, got 0');
    expect(() => new MemoryCacheStore({ now: 1 as never })).toThrow(/now/);
  });
});
