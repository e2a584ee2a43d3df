/**
 * Scenarios: @ward/rate-limit on every adapter — the RateLimit fields on
 * allowed answers, the 429 problem with Retry-After and the violated
 * policies, several policies at once, dry run, legacy fields, streamed
 * answers, failure modes of a failing store, and client identity: a forged
 * X-Forwarded-For never mints a bucket, IPv6 clients are grouped by /64.
 *
 * The clock of every store is fixed, so waits are exact numbers. `GET
 * /json` is never limited (`skip`), so the harness's last check that the
 * server still answers is not refused.
 */
import type { Context, Middleware } from '@ward/core';
import { MemoryStore, type RateLimitOptions, type RateLimitPolicy, type RateLimitStore, createRateLimiter, rateLimit } from '@ward/rate-limit';
import { createHash } from 'node:crypto';
import { Registry } from 'prom-client';
import { expect } from 'vitest';
import type { Scenario } from '../harness.js';
import { JSON_BODY, STREAM_CHUNKS, TEXT_BODY } from '../probe.js';

const NOW = 1_700_000_000_000;

/** The draft's partition key of `key`, computed here independently: base64 of the first 12 hex digits of its SHA-256. */
const pk = (key: string): string => Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64');
const MINUTE: RateLimitPolicy = { name: 'burst', limit: 2, windowMs: 60_000 };

/** A limiter on a fixed clock and its own registry; `/json` skipped. */
function limited(options: Partial<RateLimitOptions> = {}): Middleware {
  return rateLimit({
    policies: [MINUTE],
    store: new MemoryStore({ now: () => NOW }),
    registry: new Registry(),
    skip: (ctx: Context) => ctx.req.path === '/json',
    ...options,
  });
}

const RATE_LIMITED = (detail: string, violated: string[]) => ({
  type: 'urn:ward:problem:rate-limited',
  title: 'Too Many Requests',
  status: 429,
  code: 'RATE_LIMITED',
  detail,
  limiter: 'default',
  'violated-policies': violated,
});

/** A store that always fails, as a dead Redis would through the guard. */
const DEAD_STORE: RateLimitStore = {
  kind: 'dead',
  consume: () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:1')),
  reset: () => undefined,
};

export const RATE_LIMIT: readonly Scenario[] = [
  {
    name: 'rate-limit: allowed answers carry RateLimit-Policy and RateLimit; past the burst a 429 problem with Retry-After, the handler not run',
    chain: () => [limited()],
    exchanges: [
      { path: '/text', expect: { status: 200, text: TEXT_BODY, headers: { 'ratelimit-policy': '"burst";q=2;w=60', ratelimit: '"burst";r=1;t=30', 'retry-after': null } } },
      { path: '/text', expect: { status: 200, text: TEXT_BODY, headers: { 'ratelimit-policy': '"burst";q=2;w=60', ratelimit: '"burst";r=0;t=60' } } },
      {
        path: '/text',
        expect: {
          status: 429,
          headers: { 'ratelimit-policy': '"burst";q=2;w=60', ratelimit: '"burst";r=0;t=30', 'retry-after': '30' },
          problem: RATE_LIMITED('Rate limit exceeded (burst); retry after 30 s', ['burst']),
        },
      },
      // Other routes share the client's bucket.
      { path: '/created', request: { method: 'POST' }, expect: { status: 429, headers: { 'retry-after': '30' }, problem: RATE_LIMITED('Rate limit exceeded (burst); retry after 30 s', ['burst']) } },
    ],
    counts: { text: 2 },
  },
  {
    name: 'rate-limit: several policies are one List each; only the exhausted one is violated',
    chain: () => [
      limited({
        policies: [
          { name: 'burst', limit: 1, windowMs: 1_000 },
          { name: 'hourly', limit: 100, windowMs: 3_600_000 },
        ],
      }),
    ],
    exchanges: [
      { path: '/text', expect: { status: 200, text: TEXT_BODY, headers: { 'ratelimit-policy': '"burst";q=1;w=1, "hourly";q=100;w=3600', ratelimit: '"burst";r=0;t=1, "hourly";r=99;t=36' } } },
      {
        path: '/text',
        expect: {
          status: 429,
          headers: { ratelimit: '"burst";r=0;t=1, "hourly";r=99;t=36', 'retry-after': '1' },
          problem: RATE_LIMITED('Rate limit exceeded (burst); retry after 1 s', ['burst']),
        },
      },
    ],
    counts: { text: 1 },
  },
  {
    name: 'rate-limit: two limiters on one request answer as members of one List each, in chain order',
    chain: () => [
      limited({ name: 'outer', policies: [{ name: 'login', limit: 5, windowMs: 60_000 }] }),
      limited({ name: 'inner', policies: [{ name: 'api', limit: 100, windowMs: 60_000 }] }),
    ],
    exchanges: [
      { path: '/text', expect: { status: 200, text: TEXT_BODY, headers: { 'ratelimit-policy': '"login";q=5;w=60, "api";q=100;w=60', ratelimit: '"login";r=4;t=12, "api";r=99;t=1' } } },
    ],
    counts: { text: 1 },
  },
  {
    name: 'rate-limit: a streamed answer carries the fields in its headers',
    chain: () => [limited()],
    exchanges: [{ path: '/stream', expect: { status: 200, text: STREAM_CHUNKS.join(''), headers: { ratelimit: '"burst";r=1;t=30', 'ratelimit-policy': '"burst";q=2;w=60' } } }],
    counts: { stream: 1 },
  },
  {
    name: 'rate-limit: dry run decides and sends the fields but never refuses',
    chain: () => [limited({ dryRun: true })],
    exchanges: [
      { path: '/text', expect: { status: 200, text: TEXT_BODY, headers: { ratelimit: '"burst";r=1;t=30' } } },
      { path: '/text', expect: { status: 200, text: TEXT_BODY, headers: { ratelimit: '"burst";r=0;t=60' } } },
      { path: '/text', expect: { status: 200, text: TEXT_BODY, headers: { ratelimit: '"burst";r=0;t=30', 'retry-after': null } } },
    ],
    counts: { text: 3 },
  },
  {
    name: 'rate-limit: legacy X-RateLimit-* fields when asked, none of the draft fields when headers is false',
    chain: () => [limited({ legacyHeaders: true, headers: false })],
    exchanges: [
      {
        path: '/text',
        expect: { status: 200, text: TEXT_BODY, headers: { 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': '30', ratelimit: null, 'ratelimit-policy': null } },
      },
    ],
    counts: { text: 1 },
  },
  {
    name: "rate-limit: with failureMode 'memory' and the store down, the fields describe the share the insurance store enforces",
    chain: () => [
      rateLimit({
        policies: [{ name: 'burst', limit: 8, windowMs: 60_000 }],
        store: DEAD_STORE,
        failureMode: 'memory',
        fallbackShare: 0.25,
        legacyHeaders: true,
        registry: new Registry(),
        onStoreEvent: () => undefined,
        skip: (ctx) => ctx.req.path !== '/text',
      }),
    ],
    exchanges: [
      { path: '/text', expect: { status: 200, headers: { 'ratelimit-policy': '"burst";q=2;w=60', 'x-ratelimit-limit': '2' } } },
      { path: '/text', expect: { status: 200, headers: { 'ratelimit-policy': '"burst";q=2;w=60' } } },
      { path: '/text', expect: { status: 429, headers: { 'ratelimit-policy': '"burst";q=2;w=60' } } },
    ],
    counts: { text: 2 },
  },
  {
    name: 'rate-limit: a failing store with failureMode closed answers 503 RATE_LIMIT_UNAVAILABLE (never 429); open lets the request through without fields',
    chain: () => [
      rateLimit({ policies: [MINUTE], store: DEAD_STORE, failureMode: 'closed', registry: new Registry(), onStoreEvent: () => undefined, skip: (ctx) => ctx.req.path !== '/text' }),
      rateLimit({ name: 'open', policies: [MINUTE], store: DEAD_STORE, failureMode: 'open', registry: new Registry(), onStoreEvent: () => undefined, skip: (ctx) => ctx.req.path !== '/created' }),
    ],
    exchanges: [
      {
        path: '/text',
        expect: {
          status: 503,
          headers: { 'retry-after': '1', ratelimit: null },
          problem: { type: 'urn:ward:problem:rate-limit-unavailable', title: 'Service Unavailable', status: 503, code: 'RATE_LIMIT_UNAVAILABLE', detail: 'The rate limiter cannot decide right now' },
        },
      },
      { path: '/created', request: { method: 'POST' }, expect: { status: 201, json: { created: true }, headers: { ratelimit: null, 'ratelimit-policy': null } } },
    ],
    counts: { created: 1 },
  },
  {
    name: 'rate-limit: a forged X-Forwarded-For does not mint a new bucket (no trustProxy)',
    group: 'security',
    chain: () => [limited({ policies: [{ name: 'burst', limit: 1, windowMs: 60_000 }] })],
    exchanges: [
      { path: '/text', request: { headers: { 'x-forwarded-for': '198.51.100.1' } }, expect: { status: 200, text: TEXT_BODY } },
      { path: '/text', request: { headers: { 'x-forwarded-for': '198.51.100.2' } }, expect: { status: 429, problem: RATE_LIMITED('Rate limit exceeded (burst); retry after 60 s', ['burst']) } },
      { path: '/text', request: { headers: { 'x-forwarded-for': 'not an address, 999.1.1.1' } }, expect: { status: 429, problem: RATE_LIMITED('Rate limit exceeded (burst); retry after 60 s', ['burst']) } },
    ],
    counts: { text: 1 },
  },
  {
    name: 'rate-limit: behind a trusted proxy, clients are told apart; IPv6 by /64, IPv4-mapped as IPv4 in any spelling, a proxy’s port dropped',
    group: 'security',
    options: { trustProxy: 'loopback' },
    chain: () => [limited({ policies: [{ name: 'burst', limit: 1, windowMs: 60_000 }] })],
    exchanges: [
      { path: '/text', request: { headers: { 'x-forwarded-for': '198.51.100.1' } }, expect: { status: 200, text: TEXT_BODY } },
      { path: '/text', request: { headers: { 'x-forwarded-for': '198.51.100.2' } }, expect: { status: 200, text: TEXT_BODY } },
      { path: '/text', request: { headers: { 'x-forwarded-for': '::ffff:198.51.100.2' } }, expect: { status: 429, problem: RATE_LIMITED('Rate limit exceeded (burst); retry after 60 s', ['burst']) } },
      { path: '/text', request: { headers: { 'x-forwarded-for': '2001:db8:0:1::1' } }, expect: { status: 200, text: TEXT_BODY } },
      { path: '/text', request: { headers: { 'x-forwarded-for': '2001:db8:0:1:ffff:ffff:ffff:9' } }, expect: { status: 429, problem: RATE_LIMITED('Rate limit exceeded (burst); retry after 60 s', ['burst']) } },
      { path: '/text', request: { headers: { 'x-forwarded-for': '2001:db8:0:2::1' } }, expect: { status: 200, text: TEXT_BODY } },
      // Another spelling of a mapped address, and a port a proxy wrote: still the same clients.
      { path: '/text', request: { headers: { 'x-forwarded-for': '::FFFF:c633:6401' } }, expect: { status: 429 } },
      { path: '/text', request: { headers: { 'x-forwarded-for': '198.51.100.2:51999' } }, expect: { status: 429 } },
      { path: '/text', request: { headers: { 'x-forwarded-for': '[2001:db8:0:2::9]:443' } }, expect: { status: 429 } },
    ],
    counts: { text: 4 },
  },
  {
    name: 'rate-limit: a key function that returns undefined leaves the request unlimited; allowList addresses are never limited',
    chain: () => [
      limited({ policies: [{ name: 'burst', limit: 1, windowMs: 60_000 }], key: (ctx) => ctx.req.header('x-api-key') }),
      limited({ name: 'allowed', policies: [{ name: 'burst', limit: 1, windowMs: 60_000 }], allowList: ['127.0.0.0/8', '::1'] }),
    ],
    exchanges: [
      { path: '/text', expect: { status: 200, text: TEXT_BODY, headers: { ratelimit: null } } },
      { path: '/text', expect: { status: 200, text: TEXT_BODY, headers: { ratelimit: null } } },
      { path: '/text', request: { headers: { 'x-api-key': 'k1' } }, expect: { status: 200, text: TEXT_BODY, headers: { ratelimit: '"burst";r=0;t=60' } } },
      { path: '/text', request: { headers: { 'x-api-key': 'k1' } }, expect: { status: 429, problem: RATE_LIMITED('Rate limit exceeded (burst); retry after 60 s', ['burst']) } },
      { path: '/text', request: { headers: { 'x-api-key': 'k2' } }, expect: { status: 200, text: TEXT_BODY } },
    ],
    counts: { text: 4 },
  },
  {
    name: 'rate-limit: with a penalty, the second refusal in a row blocks the client for blockMs (Retry-After says so)',
    chain: () => [limited({ policies: [{ name: 'burst', limit: 1, windowMs: 60_000 }], penalty: { after: 2, blockMs: 600_000 } })],
    exchanges: [
      { path: '/text', expect: { status: 200, text: TEXT_BODY } },
      { path: '/text', expect: { status: 429, headers: { 'retry-after': '60' }, problem: RATE_LIMITED('Rate limit exceeded (burst); retry after 60 s', ['burst']) } },
      // Blocked: nothing is available until the block ends, and the field says so (r=0, t = the block), as Retry-After does.
      { path: '/text', expect: { status: 429, headers: { 'retry-after': '600', ratelimit: '"burst";r=0;t=600' }, problem: RATE_LIMITED('Blocked after repeated refusals; retry after 600 s', ['burst']) } },
      { path: '/text', expect: { status: 429, headers: { 'retry-after': '600', ratelimit: '"burst";r=0;t=600' }, problem: RATE_LIMITED('Blocked after repeated refusals; retry after 600 s', ['burst']) } },
    ],
    counts: { text: 1 },
  },
  {
    name: 'rate-limit: one limiter mounted twice on a request (app-wide and again) counts the request once',
    chain: () => {
      const limiter = createRateLimiter({ policies: [MINUTE], store: new MemoryStore({ now: () => NOW }), registry: new Registry() });
      const skip = (ctx: Context) => ctx.req.path === '/json';
      return [rateLimit({ limiter, skip }), rateLimit({ limiter, skip })];
    },
    exchanges: [
      { path: '/text', expect: { status: 200, text: TEXT_BODY, headers: { ratelimit: '"burst";r=1;t=30' } } },
      { path: '/text', expect: { status: 200, text: TEXT_BODY, headers: { ratelimit: '"burst";r=0;t=60' } } },
      { path: '/text', expect: { status: 429, problem: RATE_LIMITED('Rate limit exceeded (burst); retry after 30 s', ['burst']) } },
    ],
    counts: { text: 2 },
  },
  {
    name: 'rate-limit: two limiters whose policies share a name write distinct members: the second limiter’s get its place on the request (burst.2)',
    chain: () => [limited({ name: 'ip' }), limited({ name: 'user', policies: [{ name: 'burst', limit: 5, windowMs: 60_000 }] })],
    exchanges: [
      { path: '/text', expect: { status: 200, headers: { 'ratelimit-policy': '"burst";q=2;w=60, "burst.2";q=5;w=60', ratelimit: '"burst";r=1;t=30, "burst.2";r=4;t=12' } } },
    ],
    counts: { text: 1 },
  },
  {
    name: 'rate-limit: two different limiters that share a name (both unnamed: "default") are both enforced',
    chain: () => [
      limited({ policies: [{ name: 'app', limit: 100, windowMs: 60_000 }] }),
      limited({ policies: [{ name: 'login', limit: 1, windowMs: 60_000 }] }),
    ],
    exchanges: [
      { path: '/text', expect: { status: 200, text: TEXT_BODY } },
      { path: '/text', expect: { status: 429, problem: RATE_LIMITED('Rate limit exceeded (login); retry after 60 s', ['login']) } },
    ],
    counts: { text: 1 },
  },
  {
    name: 'rate-limit: with partitionKey, each RateLimit-Policy member carries pk, an opaque hash of the client key (never the key itself)',
    chain: () => [limited({ partitionKey: true, key: (ctx) => ctx.req.header('x-api-key') })],
    exchanges: [
      { path: '/text', request: { headers: { 'x-api-key': 'client-1' } }, expect: { status: 200, text: TEXT_BODY, headers: { 'ratelimit-policy': `"burst";q=2;w=60;pk=:${pk('client-1')}:` } } },
      { path: '/text', request: { headers: { 'x-api-key': 'client-2' } }, expect: { status: 200, text: TEXT_BODY, headers: { 'ratelimit-policy': `"burst";q=2;w=60;pk=:${pk('client-2')}:` } } },
    ],
    counts: { text: 2 },
    verify(_run, responses) {
      for (const response of responses) expect(String(response.headers['ratelimit-policy'])).not.toContain('client-');
    },
  },
  {
    name: 'rate-limit: a request costing more than the burst gets its own 429 code and no Retry-After',
    chain: () => [limited({ cost: (ctx) => (ctx.req.path === '/text' ? (ctx.req.query.get('cost') === 'huge' ? 2_000_000_000 : 3) : 1) })],
    exchanges: [
      // More than any bucket holds (past 10^9): the same 429, never a 500.
      {
        path: '/text?cost=huge',
        expect: { status: 429, headers: { 'retry-after': null }, problem: expect.objectContaining({ code: 'RATE_LIMIT_COST_EXCEEDS_BURST', 'violated-policies': ['burst'] }) },
      },
      {
        path: '/text',
        expect: {
          status: 429,
          headers: { 'retry-after': null },
          problem: {
            type: 'urn:ward:problem:rate-limit-cost-exceeds-burst',
            title: 'Too Many Requests',
            status: 429,
            code: 'RATE_LIMIT_COST_EXCEEDS_BURST',
            detail: 'This request costs 3 tokens; policy "burst" never holds that many',
            'violated-policies': ['burst'],
          },
        },
      },
      { path: '/json', expect: { status: 200, json: JSON_BODY } },
    ],
    counts: { json: 1 },
  },
];
