/**
 * Scenarios: @ward/cache on every adapter, in front of each framework's own
 * handlers — a HIT after a MISS with the original's fields (minus
 * hop-by-hop ones and the cache's own), 304 from the cache, HEAD from the
 * GET entry, streamed answers and errors never stored, a successful unsafe
 * request invalidating its target, answers to requests with credentials
 * never shared, Vary variants, stale-if-error standing in for a failure and
 * stale-while-revalidate's background refresh (a real request to the same
 * server, so through each adapter again).
 *
 * The cache's clock is fixed (or moved by hand), so `Age` and `ttl` are
 * exact; the standard handlers state no freshness, so the scenarios give
 * `defaultMaxAge`.
 */
import { createResponseCache, type ResponseCacheOptions } from '@ward/cache';
import type { Context, Middleware, Next } from '@ward/core';
import { Registry } from 'prom-client';
import { expect } from 'vitest';
import type { Scenario } from '../harness.js';
import { JSON_BODY, JSON_TYPE, STREAM_CHUNKS, TEXT_BODY } from '../probe.js';

const NOW = 1_700_000_000_000;

function cached(options: ResponseCacheOptions = {}): Middleware {
  return createResponseCache({ defaultMaxAge: 60, now: () => NOW, registry: new Registry(), ...options }).middleware;
}

/** An upstream's Date, 10 s before the cache's clock (http-cache-semantics counts age from `Age`, not from `Date`: clocks differ). */
const UPSTREAM_DATE = new Date(NOW - 10_000).toUTCString();

/** A clock a scenario moves by hand. */
function clock(): { t: number; now: () => number } {
  const c = { t: NOW, now: () => c.t };
  return c;
}

/** A middleware inside the cache that sets a response field after the handler, as the handler itself would. */
const afterNext =
  (name: string, value: string): Middleware =>
  async (ctx: Context, next: Next) => {
    await next();
    ctx.res.setHeader(name, value);
  };

const JSON_LENGTH = String(Buffer.byteLength(JSON.stringify(JSON_BODY)));
/** Fields that legitimately differ between a response and its replay. */
const OWN = new Set(['x-cache', 'cache-status', 'age', 'connection', 'keep-alive', 'transfer-encoding']);

export const CACHE: readonly Scenario[] = [
  {
    name: 'cache: a MISS is stored; the next request is a HIT with the same body and fields (minus hop-by-hop ones), an Age, the handler run once',
    chain: () => [cached()],
    exchanges: [
      { path: '/json', expect: { status: 200, json: JSON_BODY, headers: { 'x-cache': 'MISS', 'cache-status': 'ward; fwd=uri-miss; stored; ttl=60', age: null } } },
      { path: '/json', expect: { status: 200, json: JSON_BODY, headers: { 'x-cache': 'HIT', 'cache-status': 'ward; hit; ttl=60', age: '0', 'content-type': JSON_TYPE } } },
      { path: '/text', expect: { status: 200, text: TEXT_BODY, headers: { 'x-cache': 'MISS' } } },
      { path: '/text', expect: { status: 200, text: TEXT_BODY, headers: { 'x-cache': 'HIT' } } },
    ],
    verify(_run, [miss, hit]) {
      const fields = (res: typeof miss) => Object.fromEntries(Object.entries(res!.headers).filter(([name]) => !OWN.has(name)));
      expect(fields(hit)).toEqual(fields(miss));
      expect(miss!.headers.etag).toMatch(/^(W\/)?"/);
    },
    counts: { json: 1, text: 1 },
  },
  {
    name: 'cache: If-None-Match with the stored ETag → 304 from the cache, no body, the validator and freshness fields kept',
    chain: () => [cached()],
    async run({ send }) {
      const first = await send('/json');
      const etag = first.headers.etag!;
      const conditional = await send('/json', { headers: { 'if-none-match': etag } });
      expect(conditional.status).toBe(304);
      expect(conditional.body.byteLength).toBe(0);
      expect(conditional.headers.etag).toBe(etag);
      expect(conditional.headers['x-cache']).toBe('HIT');
      expect(conditional.headers['content-type']).toBeUndefined();
      expect((await send('/json', { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
      expect(conditional.headers['content-length']).toBeUndefined();
      // A miss whose fresh answer matches (another query, same body): 304 too, never a Content-Length: 0 (RFC 9110 §8.6).
      const fresh = await send('/json?v=2', { headers: { 'if-none-match': etag } });
      expect([fresh.status, fresh.headers['x-cache'], fresh.body.byteLength, fresh.headers['content-length']]).toEqual([304, 'MISS', 0, undefined]);
    },
    counts: { json: 2 },
  },
  {
    name: 'cache: If-None-Match is a list of quoted tags (a comma inside quotes is part of one); If-Modified-Since counts only as an HTTP-date',
    chain: () => [
      cached(),
      async function validators(ctx, next) {
        await next();
        ctx.res.setHeader('etag', '"v1,2"');
        ctx.res.setHeader('last-modified', 'Tue, 01 Dec 2026 10:00:00 GMT');
      },
    ],
    exchanges: [
      { path: '/json', expect: { status: 200, headers: { 'x-cache': 'MISS', etag: '"v1,2"' } } },
      { path: '/json', request: { headers: { 'if-none-match': '"v1,2"' } }, expect: { status: 304, headers: { 'x-cache': 'HIT' } } },
      { path: '/json', request: { headers: { 'if-none-match': '"other", W/"v1,2"' } }, expect: { status: 304 } },
      // Split on every comma, these would be the tags "v1 and 2": neither matches.
      { path: '/json', request: { headers: { 'if-none-match': '"v1, 2"' } }, expect: { status: 200, json: JSON_BODY } },
      { path: '/json', request: { headers: { 'if-modified-since': 'Wed, 02 Dec 2026 10:00:00 GMT' } }, expect: { status: 304 } },
      { path: '/json', request: { headers: { 'if-modified-since': 'Wednesday, 02-Dec-26 10:00:00 GMT' } }, expect: { status: 304 } },
      { path: '/json', request: { headers: { 'if-modified-since': 'Mon, 30 Nov 2026 10:00:00 GMT' } }, expect: { status: 200, json: JSON_BODY } },
      // Not HTTP-dates (RFC 9110 §13.1.3: ignored), though Date.parse reads them as later than Last-Modified.
      { path: '/json', request: { headers: { 'if-modified-since': '2100' } }, expect: { status: 200, json: JSON_BODY } },
      { path: '/json', request: { headers: { 'if-modified-since': '2100-01-01T00:00:00Z' } }, expect: { status: 200, json: JSON_BODY } },
    ],
    counts: { json: 1 },
  },
  {
    name: 'cache: an answer relayed from upstream keeps its Date and its Cache-Status, with this cache’s member appended (RFC 9211)',
    chain: () => [
      cached(),
      async function relayed(ctx, next) {
        await next();
        ctx.res.setHeader('date', UPSTREAM_DATE);
        ctx.res.setHeader('cache-status', 'EdgeCDN; hit');
      },
    ],
    exchanges: [
      { path: '/json', expect: { status: 200, headers: { date: UPSTREAM_DATE, 'cache-status': 'EdgeCDN; hit, ward; fwd=uri-miss; stored; ttl=60', 'x-cache': 'MISS' } } },
      { path: '/json', expect: { status: 200, headers: { date: UPSTREAM_DATE, 'cache-status': 'EdgeCDN; hit, ward; hit; ttl=60', age: '0', 'x-cache': 'HIT' } } },
    ],
    counts: { json: 1 },
  },
  {
    name: 'cache: Cache-Control directive names in any case (S-Maxage=0) and repeated max-age are read as RFC 9111 says: an authenticated answer is never shared by them',
    chain: () => [
      cached(),
      async function directives(ctx, next) {
        await next();
        const given = ctx.req.query.get('cc');
        if (given !== null) ctx.res.setHeader('cache-control', given);
      },
    ],
    exchanges: [
      // s-maxage=0 in capitals: a shared cache must not reuse it; http-cache-semantics alone read max-age=600 and shared alice's answer.
      { path: '/json?cc=max-age%3D600%2C%20S-Maxage%3D0', request: { headers: { authorization: 'Bearer alice' } }, expect: { status: 200, headers: { 'x-cache': 'MISS', 'cache-status': 'ward; fwd=uri-miss; detail=no-freshness' } } },
      { path: '/json?cc=max-age%3D600%2C%20S-Maxage%3D0', request: { headers: { authorization: 'Bearer bob' } }, expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
      // A repeated max-age (5, then 600) is no freshness (§4.2.1), never the last value.
      { path: '/json?cc=max-age%3D5%2C%20max-age%3D600', expect: { status: 200, headers: { 'cache-status': 'ward; fwd=uri-miss; detail=no-freshness' } } },
      { path: '/json?cc=max-age%3D5%2C%20max-age%3D600', expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
      // A huge max-age is capped at 2^31 s (§1.2.2): Cache-Status stays an integer.
      { path: '/json?cc=max-age%3D99999999999999999999999', expect: { status: 200, headers: { 'cache-status': 'ward; fwd=uri-miss; stored; ttl=2147483648' } } },
    ],
    counts: { json: 5 },
  },
  {
    name: "cache: HEAD is answered from the GET entry, with the GET's length and no body",
    chain: () => [cached()],
    exchanges: [
      { path: '/json', expect: { status: 200, json: JSON_BODY } },
      { path: '/json', request: { method: 'HEAD' }, expect: { status: 200, text: '', headers: { 'x-cache': 'HIT', 'content-length': JSON_LENGTH, 'content-type': JSON_TYPE } } },
    ],
    counts: { json: 1 },
  },
  {
    name: 'cache: a streamed answer passes through whole and is never stored; an error is never stored',
    chain: () => [cached()],
    exchanges: [
      { path: '/stream', expect: { status: 200, text: STREAM_CHUNKS.join('') } },
      { path: '/stream', expect: { status: 200, text: STREAM_CHUNKS.join('') } },
      { path: '/throw', expect: { status: 500, unhandled: true } },
      { path: '/throw', expect: { status: 500, unhandled: true } },
    ],
    counts: { stream: 2, throwSync: 2 },
  },
  {
    name: 'cache: a successful POST invalidates its target (RFC 9111 §4.4); the Cache-Tag meant for the cache reaches the client on no method',
    chain: () => [
      cached(),
      async function tagged(ctx, next) {
        await next();
        ctx.res.setHeader('cache-tag', 'users');
      },
    ],
    routes: [
      { method: 'GET', path: '/json', kind: 'json' },
      { method: 'POST', path: '/json', kind: 'created' },
    ],
    exchanges: [
      { path: '/json', expect: { status: 200, headers: { 'x-cache': 'MISS', 'cache-tag': null } } },
      { path: '/json', expect: { status: 200, headers: { 'x-cache': 'HIT', 'cache-tag': null } } },
      { path: '/json', request: { method: 'POST' }, expect: { status: 201, headers: { 'cache-tag': null } } },
      { path: '/json', expect: { status: 200, headers: { 'x-cache': 'MISS', 'cache-tag': null } } },
    ],
    counts: { json: 2, created: 1 },
  },
  {
    name: 'cache: an answer to a request with credentials is not shared unless the response says so (RFC 9111 §3.5)',
    chain: () => [cached()],
    exchanges: [
      { path: '/json', request: { headers: { authorization: 'Bearer a' } }, expect: { status: 200, json: JSON_BODY, headers: { 'cache-status': 'ward; fwd=uri-miss; detail=credentials' } } },
      { path: '/json', request: { headers: { cookie: 'sid=1' } }, expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
      { path: '/json', expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
      // The anonymous entry now stored is not served to a request with credentials.
      { path: '/json', request: { headers: { authorization: 'Bearer b' } }, expect: { status: 200, headers: { 'cache-status': 'ward; fwd=miss; detail=credentials' } } },
      { path: '/json', expect: { status: 200, headers: { 'x-cache': 'HIT' } } },
    ],
    counts: { json: 4 },
  },
  {
    name: 'cache: Vary keys the variants; each variant is a HIT for its own header value only',
    chain: () => [cached(), afterNext('vary', 'Accept-Language')],
    exchanges: [
      { path: '/json', request: { headers: { 'accept-language': 'en' } }, expect: { status: 200, headers: { 'x-cache': 'MISS', vary: 'Accept-Language' } } },
      { path: '/json', request: { headers: { 'accept-language': 'fr' } }, expect: { status: 200, headers: { 'cache-status': 'ward; fwd=vary-miss; stored; ttl=60' } } },
      { path: '/json', request: { headers: { 'accept-language': 'en' } }, expect: { status: 200, headers: { 'x-cache': 'HIT', vary: 'Accept-Language' } } },
      { path: '/json', request: { headers: { 'accept-language': 'fr' } }, expect: { status: 200, headers: { 'x-cache': 'HIT' } } },
      { path: '/json', expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
    ],
    counts: { json: 3 },
  },
  {
    name: 'cache: a Host or keyed header holding the key separator cannot spell another entry’s key',
    chain: () => [cached()],
    exchanges: [
      { path: '/json', request: { headers: { host: 'a.test', 'x-forwarded-host': 'x' } }, expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
      { path: '/json', request: { headers: { host: 'a.test', 'x-forwarded-host': 'x' } }, expect: { status: 200, headers: { 'x-cache': 'HIT' } } },
      // Before the parts were escaped, this Host made exactly the entry's key above.
      { path: '/json', request: { headers: { host: 'a.test|x-forwarded-host=x' } }, expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
      { path: '/json', request: { headers: { host: 'a.test', 'x-forwarded-host': 'x%7Cy' } }, expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
      { path: '/json', request: { headers: { host: 'a.test', 'x-forwarded-host': 'x|y' } }, expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
    ],
    counts: { json: 4 },
  },
  {
    name: 'cache: queries the router reads differently never share an entry (%FF is not %EF%BF%BD); reordered and re-spelled ones do',
    chain: () => [cached()],
    exchanges: [
      { path: '/json?q=%FF', expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
      // URLSearchParams reads both as U+FFFD; Fastify hands the handler '%FF' for the first.
      { path: '/json?q=%EF%BF%BD', expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
      { path: '/json?q=%ff', expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
      { path: '/json?q=%FF', expect: { status: 200, headers: { 'x-cache': 'HIT' } } },
      { path: '/json?b=2&a=1', expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
      { path: '/json?a=%31&b=2', expect: { status: 200, headers: { 'x-cache': 'HIT' } } },
    ],
    counts: { json: 4 },
  },
  {
    name: 'cache: stale-if-error — within the window a failure downstream gets the stale entry; past it the failure goes on',
    chain: (probe) => {
      const c = clock();
      probe.seen.clock = c;
      const failing: Middleware = (_ctx, next) => {
        if (probe.seen.fail === true) throw new Error('downstream failed');
        return next();
      };
      return [cached({ defaultMaxAge: 10, staleIfError: 60, now: c.now, onEvent: () => {} }), failing];
    },
    async run({ send, probe }) {
      const c = probe.seen.clock as { t: number };
      expect((await send('/json')).headers['x-cache']).toBe('MISS');
      c.t += 20_000;
      probe.seen.fail = true;
      const stale = await send('/json');
      expect([stale.status, stale.json(), stale.headers['x-cache'], stale.headers['cache-status']]).toEqual([200, JSON_BODY, 'STALE', 'ward; fwd=stale; ttl=-10; detail=stale-if-error']);
      c.t += 60_000;
      expect((await send('/json')).status).toBe(500);
      probe.seen.fail = false;
    },
    // The failures happen before the handler: it ran for the first request only.
    counts: { json: 1 },
  },
  {
    name: 'cache: stale-while-revalidate — the stale entry at once, one background refresh through the adapter, then the refreshed entry',
    chain: (probe) => {
      const c = clock();
      probe.seen.clock = c;
      return [
        cached({
          defaultMaxAge: 10,
          staleWhileRevalidate: 30,
          now: c.now,
          onEvent: (event) => {
            if (event.type === 'refreshed') probe.event('refreshed').resolve(event.stored);
            if (event.type === 'refresh-failed') probe.event('refreshed').reject(event.error);
          },
        }),
      ];
    },
    async run({ send, probe }) {
      const c = probe.seen.clock as { t: number };
      expect((await send('/json')).headers['x-cache']).toBe('MISS');
      c.t += 15_000;
      const stale = await send('/json');
      expect([stale.json(), stale.headers['x-cache'], stale.headers['cache-status'], stale.headers.age]).toEqual([JSON_BODY, 'STALE', 'ward; hit; ttl=-5', '15']);
      expect(await probe.event('refreshed').promise).toBe(true);
      const fresh = await send('/json');
      expect([fresh.headers['x-cache'], fresh.headers.age]).toEqual(['HIT', '0']);
    },
    counts: { json: 2 },
  },
];
