/**
 * Scenarios: @ward/cache on every adapter, in front of each framework's own
 * handlers — a HIT after a MISS with the original's fields (minus
 * hop-by-hop ones and the cache's own), 304 from the cache, HEAD from the
 * GET entry, streamed answers and errors never stored, a successful unsafe
 * request invalidating its target.
 *
 * The cache's clock is fixed, so `Age` and `ttl` are exact; the standard
 * handlers state no freshness, so the scenarios give `defaultMaxAge`.
 */
import { createResponseCache, type ResponseCacheOptions } from '@ward/cache';
import type { Middleware } from '@ward/core';
import { Registry } from 'prom-client';
import { expect } from 'vitest';
import type { Scenario } from '../harness.js';
import { JSON_BODY, JSON_TYPE, STREAM_CHUNKS, TEXT_BODY } from '../probe.js';

const NOW = 1_700_000_000_000;

function cached(options: ResponseCacheOptions = {}): Middleware {
  return createResponseCache({ defaultMaxAge: 60, now: () => NOW, registry: new Registry(), ...options }).middleware;
}

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
    },
    counts: { json: 1 },
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
    name: 'cache: a successful POST invalidates its target (RFC 9111 §4.4)',
    chain: () => [cached()],
    routes: [
      { method: 'GET', path: '/json', kind: 'json' },
      { method: 'POST', path: '/json', kind: 'created' },
    ],
    exchanges: [
      { path: '/json', expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
      { path: '/json', expect: { status: 200, headers: { 'x-cache': 'HIT' } } },
      { path: '/json', request: { method: 'POST' }, expect: { status: 201 } },
      { path: '/json', expect: { status: 200, headers: { 'x-cache': 'MISS' } } },
    ],
    counts: { json: 2, created: 1 },
  },
];
