/**
 * Packaging and public types of @ward/rate-limit: it loads from ESM and from
 * CommonJS `require` with exactly its public surface, declares
 * `ctx.state.rateLimit`, its errors keep their brand across copies, and its
 * types catch option mistakes.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describeMiddleware, type Middleware, type WardState } from '@ward/core';
import * as pkg from '@ward/rate-limit';
import { type RateLimitDecision, type RateLimitOptions, type RateLimitPolicy, rateLimit, StoreTimeoutError } from '@ward/rate-limit';
import { Registry } from 'prom-client';
import { describe, expect, expectTypeOf, it } from 'vitest';

const PUBLIC = ['MemoryStore', 'RedisStore', 'StoreTimeoutError', 'StoreUnavailableError', 'createRateLimiter', 'ipKey', 'isStoreError', 'rateLimit'];

describe('packaging', () => {
  it('imports from ESM with exactly the public surface', () => {
    expect(Object.keys(pkg).sort()).toEqual(PUBLIC);
  });

  it('loads with CommonJS require (node ≥ 20.19 require(esm)); the error brand works across the two loads', () => {
    const out = execFileSync(process.execPath, ['-e', "process.stdout.write(Object.keys(require('@ward/rate-limit')).sort().join(','))"], { encoding: 'utf8' });
    expect(out).toBe(PUBLIC.join(','));
    const required = createRequire(import.meta.url)('@ward/rate-limit') as typeof pkg;
    expect(required.isStoreError(new StoreTimeoutError(5))).toBe(true);
    expect(required.isStoreError(new Error('x'))).toBe(false);
  });
});

describe('types and description', () => {
  it('the factory makes a Middleware; options are typed', () => {
    const policies: RateLimitPolicy[] = [{ name: 'p', limit: 1, windowMs: 1_000 }];
    expectTypeOf(rateLimit({ policies, registry: new Registry() })).toEqualTypeOf<Middleware>();
    // @ts-expect-error windowMs is a number of milliseconds
    const stringly: RateLimitPolicy = { name: 'p', limit: 1, windowMs: '1s' };
    // @ts-expect-error failureMode is one of three words
    const mode: RateLimitOptions = { policies, failureMode: 'maybe' };
    expect([stringly, mode]).toHaveLength(2);
    expectTypeOf<WardState['rateLimit']>().toEqualTypeOf<RateLimitDecision | undefined>();
  });

  it('is named and described for an audited chain, without functions or stores leaking in', () => {
    const limit = rateLimit({ name: 'api', policies: [{ name: 'burst', limit: 10, windowMs: 1_000, burst: 20 }], registry: new Registry(), skip: () => false });
    expect(describeMiddleware(limit)).toEqual({
      name: 'rateLimit',
      options: {
        limiter: 'api',
        policies: [{ name: 'burst', limit: 10, windowMs: 1_000, burst: 20 }],
        penalty: null,
        failureMode: 'open',
        identity: 'user id, else client ip',
        ipv6Subnet: 64,
        cost: 1,
        skip: true,
        allowList: 0,
        dryRun: false,
        headers: true,
        legacyHeaders: false,
        partitionKey: false,
      },
    });
  });

  it('catches use(rateLimit) without the call, and unknown options', () => {
    expect(() => rateLimit({ policies: [{ name: 'p', limit: 1, windowMs: 1 }], windowMs: 1 } as unknown as RateLimitOptions)).toThrow(/unknown option "windowMs"/);
    expect(() => rateLimit(undefined as unknown as RateLimitOptions)).toThrow(TypeError);
    expect(() => rateLimit({ policies: [{ name: 'p', limit: 1, windowMs: 1 }], ipv6Subnet: 129, registry: new Registry() })).toThrow(/ipv6Subnet must be an integer from 1 to 128/);
    expect(() => rateLimit({ policies: [{ name: 'p', limit: 1, windowMs: 1 }], allowList: ['not-an-ip'], registry: new Registry() })).toThrow(RangeError);
    expect(() => rateLimit({ policies: [{ name: 'p', limit: 1, windowMs: 1 }], dryRun: 'yes' as unknown as boolean, registry: new Registry() })).toThrow(/dryRun must be true or false/);
  });
});

describe('ipKey', () => {
  it.each([
    ['203.0.113.9', 64, '203.0.113.9'],
    ['::ffff:203.0.113.9', 64, '203.0.113.9'],
    ['::FFFF:203.0.113.9', 64, '203.0.113.9'],
    ['::ffff:cb00:7109', 64, '203.0.113.9'],
    ['0:0:0:0:0:ffff:203.0.113.9', 64, '203.0.113.9'],
    ['2001:db8:0:1:ffff:ffff:ffff:9', 64, '2001:db8:0:1::/64'],
    ['2001:db8:0:1::1', 56, '2001:db8::/56'],
    ['2001:db8:0:1ff::1', 56, '2001:db8:0:100::/56'],
    ['::1', 128, '::1/128'],
    ['not:an:address', 64, 'not:an:address'],
  ])('%s /%d → %s', (address, subnet, key) => {
    expect(pkg.ipKey(address, subnet)).toBe(key);
  });
});
