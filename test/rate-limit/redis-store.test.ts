/**
 * RedisStore against a real Redis: the same decisions as MemoryStore step
 * for step, the server's clock, the key and its expiry, the NOSCRIPT
 * fallback, and atomicity across several clients (app servers).
 *
 * The shared server of the run (`inject('redisUrl')`) is used with a
 * per-file namespace (every limiter gets its own `name`); tests that need
 * a server to themselves (SCRIPT FLUSH, command counts) start a private one.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import {
  MemoryStore,
  RedisStore,
  createRateLimiter,
  type RateLimitDecision,
  type RateLimitPenalty,
  type RateLimitPolicy,
  type RateLimiter,
  type RedisScriptClient,
  type StoreEvent,
  StoreUnavailableError,
} from '@ward/rate-limit';
import { type PrivateRedis, startRedisServer } from '../setup/redis.js';
import { cleanups, connect, namer, seededRandom } from './helpers.js';

/** This file's namespace on the shared server. */
const uniqueName = namer('rs');

/** The key the limiter `name` gives `key` under the default prefix. */
function redisKey(name: string, key: string, prefix = 'ward:rl:'): string {
  return `${prefix}{${name}:${key}}`;
}

const cleanup = cleanups();

let redis: Redis;
beforeAll(async () => {
  redis = await connect(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

/** Two policies decided together: a burst of 10 a second and 100 an hour. */
const BURST_AND_HOUR: readonly RateLimitPolicy[] = [
  { name: 'burst', limit: 10, windowMs: 1_000 },
  { name: 'hour', limit: 100, windowMs: 3_600_000 },
];

/** A Redis-backed limiter that surfaces any store failure (failed_closed) instead of hiding it. */
function redisLimiter(options: {
  name: string;
  policies: readonly RateLimitPolicy[];
  client?: Redis;
  now?: () => number;
  keyPrefix?: string;
  penalty?: RateLimitPenalty;
  maxInlineScripts?: number;
}): { limiter: RateLimiter; events: StoreEvent[] } {
  const events: StoreEvent[] = [];
  const storeOptions = {
    client: options.client ?? redis,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.maxInlineScripts === undefined ? {} : { maxInlineScripts: options.maxInlineScripts }),
  };
  const limiter = createRateLimiter({
    name: options.name,
    policies: options.policies,
    ...(options.penalty === undefined ? {} : { penalty: options.penalty }),
    store: new RedisStore(storeOptions),
    failureMode: 'closed',
    // The shared machine may be busy: a slow answer must not turn into a failure here.
    storeTimeoutMs: 10_000,
    breaker: { failures: 1_000 },
    ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
    ...(options.now === undefined ? {} : { now: options.now }),
    registry: new Registry(),
    onStoreEvent: (event) => events.push(event),
  });
  return { limiter, events };
}

/** The fields of a decision a caller acts on. */
function summary(decision: RateLimitDecision): Pick<RateLimitDecision, 'outcome' | 'allowed' | 'remaining' | 'resetMs' | 'retryAfterMs' | 'violated'> {
  const { outcome, allowed, remaining, resetMs, retryAfterMs, violated } = decision;
  return { outcome, allowed, remaining, resetMs, retryAfterMs, violated };
}

/**
 * The two forms of the generated script (redis-script.ts): the policies'
 * numbers written in (the default), or passed as arguments (what a store
 * falls back to past `maxInlineScripts`).
 */
const SCRIPT_FORMS: [form: string, maxInlineScripts: number | undefined][] = [
  ['numbers inlined', undefined],
  ['numbers as arguments', 0],
];

/** A MemoryStore limiter and a RedisStore limiter on one injected clock and one name. */
function twins(policies: readonly RateLimitPolicy[], clock: () => number, penalty?: RateLimitPenalty, maxInlineScripts?: number) {
  const name = uniqueName('eq');
  const memoryStore = new MemoryStore({ now: clock });
  const memory = createRateLimiter({ name, policies, ...(penalty === undefined ? {} : { penalty }), store: memoryStore, now: clock, registry: new Registry() });
  const { limiter: remote, events } = redisLimiter({ name, policies, now: clock, maxInlineScripts, ...(penalty === undefined ? {} : { penalty }) });
  /** Runs one decision through both and checks they agree, decision and stored state. */
  async function step(key: string, cost: number): Promise<RateLimitDecision> {
    const fromMemory = await memory.consume(key, cost);
    const fromRedis = await remote.consume(key, cost);
    expect(fromRedis.source).toBe('store');
    expect(fromRedis).toEqual(fromMemory);
    // The state itself, not only what is read off it: "at level₀ level₁ …".
    const full = redisKey(name, key);
    const memoryState = memoryStore.consume(full, memory.policies, 0).state.join(' ');
    expect(await redis.get(full)).toBe(memoryState);
    return fromRedis;
  }
  return { name, memory, remote, events, step };
}

describe.each(SCRIPT_FORMS)('RedisStore decides exactly as MemoryStore (%s)', (_form, maxInlineScripts) => {
  it('a scripted sequence: costs 0, 1, >1, > burst; two policies; partial refills, exact-ms edges, a clock going backwards', async () => {
    const T0 = 1_700_000_000_000;
    let t = T0;
    const { name, remote, memory, events, step } = twins(BURST_AND_HOUR, () => t, undefined, maxInlineScripts);
    // Units (policy.ts): burst — a token is 1 000 units, +10 a ms, capacity 10 000;
    // hour — a token is 3 600 000 units, +100 a ms, capacity 360 000 000.
    type Expected = ReturnType<typeof summary>;
    const allowed = (remaining: number, resetMs: number): Expected => ({ outcome: 'allowed', allowed: true, remaining, resetMs, retryAfterMs: 0, violated: [] });
    const limited = (remaining: number, resetMs: number, retryAfterMs: number, violated: string[]): Expected => ({ outcome: 'limited', allowed: false, remaining, resetMs, retryAfterMs, violated });
    const script: [offset: number, cost: number, expected?: Expected][] = [
      [0, 0, allowed(10, 0)], // a peek at a new key: full, nothing charged
      [0, 1, allowed(9, 36_000)], // burst 9 000 (reset 100 ms), hour 356 400 000 (reset 36 s)
      [0, 4, allowed(5, 180_000)], // burst 5 000, hour 342 000 000
      [0, 6, limited(5, 180_000, 100, ['burst'])], // 5 000 < 6 000: nothing charged
      [99, 6, limited(5, 179_901, 1, ['burst'])], // 5 990: one millisecond short
      [100, 6, allowed(0, 395_900)], // exactly 6 000: burst 0, hour 320 410 000
      [100, 11, { outcome: 'cost_exceeds_burst', allowed: false, remaining: 0, resetMs: 395_900, retryAfterMs: Number.POSITIVE_INFINITY, violated: ['burst'] }],
      [100, 1, limited(0, 395_900, 100, ['burst'])],
      [50, 1, limited(0, 395_900, 100, ['burst'])], // the clock went back 50 ms: no refill
      [150, 1, limited(0, 395_850, 50, ['burst'])], // 50 ms after `at` = +100 (not +50): 500 units
      [200, 1, allowed(0, 431_800)], // burst 1 000 → 0, hour 316 820 000
      [10_200, 10, allowed(0, 781_800)], // idle 10 s: burst capped at full; hour 281 820 000
      [11_200, 10], [12_200, 10], [13_200, 10], [14_200, 10], [15_200, 10], [16_200, 10],
      [17_200, 10, allowed(0, 3_294_800)], // hour 30 520 000 (8 tokens)
      [18_200, 10, limited(8, 3_293_800, 53_800, ['hour'])], // burst full again; hour 30 620 000 < 36 000 000
      [18_200, 8, allowed(0, 3_581_800)], // hour 1 820 000, burst 2 000
      [35_999, 1, limited(0, 3_564_001, 1, ['hour'])], // hour 3 599 900: one millisecond short
      [36_000, 1, allowed(0, 3_600_000)], // hour exactly 3 600 000 → 0
      [0, 0, allowed(0, 3_600_000)], // 36 s back in time: a peek, nothing refilled
      [3_636_000, 0, allowed(10, 0)], // exactly one full refill after `at`: all full
      [3_636_000, 10, allowed(0, 360_000)],
    ];
    for (const [offset, cost, expected] of script) {
      t = T0 + offset;
      const decision = await step('alice', cost);
      if (expected !== undefined) expect(summary(decision), `t=T0+${offset} cost=${cost}`).toEqual(expected);
      if (offset === 50) {
        // `at` stayed where it was when the clock went back.
        expect(await redis.get(redisKey(name, 'alice'))).toMatch(new RegExp(`^${T0 + 100} `));
      }
    }
    // Another key is independent; reset() forgets a key in both.
    expect(summary(await step('bob', 3))).toEqual(allowed(7, 108_000));
    await memory.reset('alice');
    await remote.reset('alice');
    expect(await redis.exists(redisKey(name, 'alice'))).toBe(0);
    expect(summary(await step('alice', 1))).toEqual(allowed(9, 36_000));
    expect(events).toEqual([]);
  });

  it('a long pseudo-random sequence over three policies (burst ≠ limit, capacities near 2^53), two keys, clock jumps both ways', async () => {
    const policies: RateLimitPolicy[] = [
      { name: 'sec', limit: 3, windowMs: 1_000, burst: 5 },
      { name: 'min', limit: 20, windowMs: 60_000, burst: 30 },
      // 1 000 000 × 9 000 000 000 = 9e15 units: exact integers only if nothing is rounded or printed as 9e+15.
      { name: 'huge', limit: 1_000_000, windowMs: 9_000_000_000, burst: 1_000_000 },
    ];
    let t = 1_600_000_000_000;
    const { remote, memory, events, step } = twins(policies, () => t, undefined, maxInlineScripts);
    const random = seededRandom(0x2f6b_1a3d);
    const steps = [-2_000, -1, 0, 0, 0, 1, 1, 7, 99, 100, 333, 334, 1_000, 1_999, 3_001, 61_000];
    const costs = [0, 1, 1, 1, 1, 2, 3, 5, 6, 30, 31, 999_999];
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      t += steps[random(steps.length)]!;
      const key = random(3) === 0 ? 'k2' : 'k1';
      if (random(60) === 0) {
        await memory.reset(key);
        await remote.reset(key);
        continue;
      }
      const decision = await step(key, costs[random(costs.length)]!);
      outcomes.set(decision.outcome, (outcomes.get(decision.outcome) ?? 0) + 1);
    }
    // The sequence really went through every kind of decision.
    expect([...outcomes.keys()].sort()).toEqual(['allowed', 'cost_exceeds_burst', 'limited']);
    expect(events).toEqual([]);
  });
});

describe.each(SCRIPT_FORMS)('the penalty box, in both stores alike (%s)', (_form, maxInlineScripts) => {
  it('after 3 refusals in a row a key is blocked for 5 s whatever its buckets hold; an allowed request clears the strikes; peeks change nothing', async () => {
    let t = 1_700_000_000_000;
    const { step } = twins([{ name: 'p', limit: 2, windowMs: 1_000 }], () => t, { after: 3, blockMs: 5_000 }, maxInlineScripts);
    expect(summary(await step('k', 2)).outcome).toBe('allowed');
    // Two refusals, then a token comes back and an allowed request clears them.
    expect(summary(await step('k', 1)).outcome).toBe('limited');
    expect(summary(await step('k', 1)).outcome).toBe('limited');
    t += 500;
    expect(summary(await step('k', 1)).outcome).toBe('allowed');
    expect(summary(await step('k', 1)).outcome).toBe('limited');
    expect(summary(await step('k', 1)).outcome).toBe('limited');
    expect(summary(await step('k', 0)).outcome).toBe('allowed'); // a peek: no strike cleared
    // The third refusal in a row starts the block.
    expect(summary(await step('k', 1))).toEqual({ outcome: 'blocked', allowed: false, remaining: 0, resetMs: 1_000, retryAfterMs: 5_000, violated: ['p'] });
    t += 1_000;
    // The bucket is full again, the key is still blocked (and a peek says so).
    expect(summary(await step('k', 1))).toEqual({ outcome: 'blocked', allowed: false, remaining: 2, resetMs: 0, retryAfterMs: 4_000, violated: [] });
    expect(summary(await step('k', 0)).outcome).toBe('blocked');
    t += 3_999;
    expect(summary(await step('k', 1)).outcome).toBe('blocked');
    t += 1;
    expect(summary(await step('k', 1))).toEqual({ outcome: 'allowed', allowed: true, remaining: 1, resetMs: 500, retryAfterMs: 0, violated: [] });
  });

  it('a pseudo-random sequence with a penalty goes through every outcome, identically', async () => {
    let t = 1_650_000_000_000;
    const { step } = twins([{ name: 'sec', limit: 3, windowMs: 1_000, burst: 4 }, { name: 'min', limit: 30, windowMs: 60_000 }], () => t, { after: 2, blockMs: 2_500 }, maxInlineScripts);
    const random = seededRandom(0x1234_5678);
    const steps = [-500, 0, 0, 1, 50, 333, 1_000, 2_499, 2_500, 10_000];
    const costs = [0, 1, 1, 1, 2, 4, 5];
    const outcomes = new Set<string>();
    for (let i = 0; i < 250; i++) {
      t += steps[random(steps.length)]!;
      outcomes.add((await step(random(2) === 0 ? 'a' : 'b', costs[random(costs.length)]!)).outcome);
    }
    expect([...outcomes].sort()).toEqual(['allowed', 'blocked', 'cost_exceeds_burst', 'limited']);
  });
});

describe('the server clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  async function serverMs(): Promise<number> {
    const [seconds, micros] = (await redis.time()).map(Number) as [number, number];
    return seconds * 1000 + Math.floor(micros / 1000);
  }

  it('without `now`, a decision is stamped with Redis TIME, not the app clock', async () => {
    // The app's clock (Date.now, also the limiter's default clock) says 2001.
    vi.setSystemTime(new Date('2001-02-03T04:05:06.000Z'));
    expect(Date.now()).toBe(981_173_106_000);
    const name = uniqueName('clock');
    const { limiter } = redisLimiter({ name, policies: BURST_AND_HOUR });
    const before = await serverMs();
    const decision = await limiter.consume('k');
    const after = await serverMs();
    expect(summary(decision)).toEqual({ outcome: 'allowed', allowed: true, remaining: 9, resetMs: 36_000, retryAfterMs: 0, violated: [] });
    const [at, ...levels] = (await redis.get(redisKey(name, 'k')))!.split(' ').map(Number);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    expect(levels).toEqual([9_000, 356_400_000]);
  });

  it('refills by the time elapsed on the server since `at`, and never for an `at` ahead of the server', async () => {
    const name = uniqueName('clock');
    const { limiter } = redisLimiter({ name, policies: BURST_AND_HOUR });
    const key = redisKey(name, 'k');
    const now = await serverMs();
    // Both buckets emptied an hour ago (server time): both are full again.
    await redis.set(key, `${now - 3_600_000} 0 0`, 'PX', 3_600_000);
    expect(summary(await limiter.consume('k'))).toEqual({ outcome: 'allowed', allowed: true, remaining: 9, resetMs: 36_000, retryAfterMs: 0, violated: [] });
    expect(Number((await redis.get(key))!.split(' ')[0])).toBeGreaterThanOrEqual(now);

    // Emptied "an hour from now": a clock that went back refills nothing and `at` stays.
    await redis.set(key, `${now + 3_600_000} 0 0`, 'PX', 3_600_000);
    expect(summary(await limiter.consume('k'))).toEqual({ outcome: 'limited', allowed: false, remaining: 0, resetMs: 3_600_000, retryAfterMs: 36_000, violated: ['burst', 'hour'] });
    expect(await redis.get(key)).toBe(`${now + 3_600_000} 0 0`);
  });

  it('a key of another type (WRONGTYPE) or with numbers no bucket holds (NaN, negative, fractional, over capacity, `at` beyond the key\'s life) is full and overwritten, never a store failure', async () => {
    const name = uniqueName('junk');
    const { limiter } = redisLimiter({ name, policies: BURST_AND_HOUR });
    const key = redisKey(name, 'k');
    const now = await serverMs();
    const junk: [string, () => Promise<unknown>][] = [
      ['a hash', () => redis.hset(key, 'l', '1')],
      ['a list', () => redis.rpush(key, 'x')],
      ['NaN', () => redis.set(key, `${now} nan 0`)],
      ['negative', () => redis.set(key, `${now} -5 0`)],
      ['fractional', () => redis.set(key, `${now} 0.5 0`)],
      ['over capacity', () => redis.set(key, `${now} 99999999999 0`)],
      ['at far ahead', () => redis.set(key, `${now + 10 * 3_600_000} 0 0`)],
    ];
    for (const [label, write] of junk) {
      await redis.del(key);
      await write();
      expect(summary(await limiter.consume('k')), label).toEqual({ outcome: 'allowed', allowed: true, remaining: 9, resetMs: 36_000, retryAfterMs: 0, violated: [] });
      expect(await redis.type(key), label).toBe('string');
      expect((await redis.get(key))!.split(' ').slice(1).map(Number), label).toEqual([9_000, 356_400_000]);
    }
  });
});

describe('the key', () => {
  it('is ward:rl:{<name>:<key>}, one per limiter and key, nothing else written', async () => {
    const name = uniqueName('key');
    const { limiter } = redisLimiter({ name, policies: BURST_AND_HOUR });
    await limiter.consume('user:42');
    await limiter.consume('ip:2001:db8::/64');
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${name}*`, 'COUNT', 10_000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    expect(found.sort()).toEqual([`ward:rl:{${name}:ip:2001:db8::/64}`, `ward:rl:{${name}:user:42}`]);
    expect(await redis.type(`ward:rl:{${name}:user:42}`)).toBe('string');

    const prefixed = redisLimiter({ name, policies: BURST_AND_HOUR, keyPrefix: 'app1:' }).limiter;
    await prefixed.consume('user:42');
    expect(await redis.exists(`app1:{${name}:user:42}`)).toBe(1);
  });

  it('expires after the slowest policy’s full refill, refreshed by every decision (allowed, refused, peek)', async () => {
    const name = uniqueName('ttl');
    // Full refill: 'sec' 1 000 ms, 'hour' 3 600 000 ms (the slowest, listed in the middle), 'min' 30×60 000/10 = 180 000 ms.
    const policies: RateLimitPolicy[] = [
      { name: 'sec', limit: 10, windowMs: 1_000 },
      { name: 'hour', limit: 100, windowMs: 3_600_000 },
      { name: 'min', limit: 10, windowMs: 60_000, burst: 30 },
    ];
    // An injected clock: no refill between the decisions, whatever the machine's load.
    const { limiter } = redisLimiter({ name, policies, now: () => 1_000_000 });
    const key = redisKey(name, 'k');
    await limiter.consume('k', 10);
    const pttl = await redis.pttl(key);
    expect(pttl).toBeGreaterThan(180_000);
    expect(pttl).toBeLessThanOrEqual(3_600_000);
    for (const cost of [1, 0]) {
      // cost 1: refused ('sec' is empty); cost 0: a peek. Both rewrite the key with its full TTL.
      await redis.pexpire(key, 5_000);
      const decision = await limiter.consume('k', cost);
      expect(decision.outcome).toBe(cost === 0 ? 'allowed' : 'limited');
      expect(await redis.pttl(key)).toBeGreaterThan(180_000);
    }
  });

  it.each(SCRIPT_FORMS)('holds "at level…" as plain integers, exact near 2^53 (never 9e+15) (%s)', async (_form, maxInlineScripts) => {
    const name = uniqueName('value');
    const t = 1_700_000_000_123;
    const { limiter } = redisLimiter({
      name,
      maxInlineScripts,
      policies: [...BURST_AND_HOUR, { name: 'huge', limit: 1_000_000, windowMs: 9_000_000_000, burst: 1_000_000 }],
      now: () => t,
    });
    const decision = await limiter.consume('k', 3);
    expect(decision.remaining).toBe(7);
    // burst 10 000 − 3×1 000; hour 360 000 000 − 3×3 600 000; huge 9e15 − 3×9e9.
    expect(await redis.get(redisKey(name, 'k'))).toBe('1700000000123 7000 349200000 8999973000000000');
    expect(decision.policies.map((p) => p.remaining)).toEqual([7, 97, 999_997]);
  });

  it.each(SCRIPT_FORMS)('a value written for other policies, or not ours, counts as full buckets (%s)', async (_form, maxInlineScripts) => {
    const name = uniqueName('foreign');
    const t = 5_000_000;
    const two = redisLimiter({ name, policies: BURST_AND_HOUR, now: () => t, maxInlineScripts }).limiter;
    expect((await two.consume('k', 10)).remaining).toBe(0);
    // Same name, one policy now (a redeploy): the 2-policy state is not read as a 1-policy one.
    const one = redisLimiter({ name, policies: [{ name: 'burst', limit: 10, windowMs: 1_000 }], now: () => t, maxInlineScripts }).limiter;
    expect((await one.consume('k')).remaining).toBe(9);
    expect(await redis.get(redisKey(name, 'k'))).toBe(`${t} 9000`);
    // Not ours, an extra field, an empty one, a field that is not a number: each reads as full buckets.
    for (const foreign of ['not a bucket', `${t} 9000 1`, `${t}  9000`, `${t} 9x00`, `${t} `, '']) {
      await redis.set(redisKey(name, 'k'), foreign);
      expect((await one.consume('k')).remaining, JSON.stringify(foreign)).toBe(9);
      expect(await redis.get(redisKey(name, 'k'))).toBe(`${t} 9000`);
    }
  });
});

describe('a reply that is not the script\'s', () => {
  // A real Redis answers each reply (a server that runs something else under
  // the script's SHA, or a proxy that mangles replies): through EVAL of a
  // script returning it, behind the client interface RedisStore calls.
  const replying = (reply: string): RedisScriptClient => ({
    evalsha: () => redis.eval(reply, 0),
    eval: () => redis.eval(reply, 0),
    del: (...keys: string[]) => redis.del(...keys),
  });

  it.each([
    ['an integer', 'return 1'],
    ['an array', 'return { 1, 5, 9000 }'],
    ['a word', "return 'allowed'"],
    ['too few fields', "return '1 5'"],
    ['too many fields', "return '1 5 9000 7'"],
    ['a verdict other than 0 or 1', "return '2 5 9000'"],
    ['a fraction', "return '1 5 9000.5'"],
    ['a field that is not a number', "return '1 5 9x00'"],
    ['an empty field', "return '1  9000'"],
  ])('%s: a StoreUnavailableError, never a decision', async (_label, script) => {
    const limiter = createRateLimiter({
      name: uniqueName('mangled'),
      policies: [{ name: 'burst', limit: 10, windowMs: 1_000 }],
      store: new RedisStore({ client: replying(script) }),
      failureMode: 'open',
      registry: new Registry(),
    });
    const decision = await limiter.consume('k');
    expect(decision.outcome).toBe('failed_open');
    expect(decision.error).toBeInstanceOf(StoreUnavailableError);
  });
});

/** `calls=` of a command in INFO commandstats (0 when it never ran). */
async function commandCalls(client: Redis, command: string): Promise<number> {
  const info = await client.info('commandstats');
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
  return match === null ? 0 : Number(match[1]);
}

describe('the script cache: NOSCRIPT (a server that lost it), one script per set of policies up to a bound', () => {
  let server: PrivateRedis;
  let client: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    client = await connect(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  });
  afterAll(async () => {
    client.disconnect();
    await server.close();
  });

  it('falls back to EVAL on that same call, then uses EVALSHA again', async () => {
    const { limiter, events } = redisLimiter({ name: uniqueName('noscript'), policies: [{ name: 'p', limit: 100, windowMs: 3_600_000 }], client, now: () => 1_000 });
    await client.config('RESETSTAT');
    const calls = async (): Promise<[number, number]> => [await commandCalls(client, 'evalsha'), await commandCalls(client, 'eval')];

    // A fresh server never saw the script.
    expect((await limiter.consume('k')).remaining).toBe(99);
    expect(await calls()).toEqual([1, 1]);
    expect((await limiter.consume('k')).remaining).toBe(98);
    expect(await calls()).toEqual([2, 1]);

    await client.script('FLUSH');
    expect((await limiter.consume('k')).remaining).toBe(97); // the bucket survived; only the script was lost
    expect(await calls()).toEqual([3, 2]);
    expect((await limiter.consume('k')).remaining).toBe(96);
    expect(await calls()).toEqual([4, 2]);

    // Many calls in flight when the cache is lost: every one falls back once, none fails or double-charges.
    await client.script('FLUSH');
    const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.consume('k')));
    expect(decisions.map((d) => d.outcome)).toEqual(Array(20).fill('allowed'));
    expect(decisions.map((d) => d.remaining).sort((a, b) => b - a)).toEqual(Array.from({ length: 20 }, (_, i) => 95 - i));
    expect(await calls()).toEqual([24, 22]);
    expect(events).toEqual([]);
  });

  async function cachedScripts(): Promise<number> {
    return Number(/^number_of_cached_scripts:(\d+)/m.exec(await client.info('memory'))![1]);
  }

  it('one inlined script per distinct set of policies up to maxInlineScripts, then one per shape with the numbers as arguments', async () => {
    await client.script('FLUSH');
    const store = new RedisStore({ client, maxInlineScripts: 2, now: () => 1_000 });
    const limiter = (limit: number, penalty?: RateLimitPenalty) =>
      createRateLimiter({ name: uniqueName('cache'), policies: [{ name: 'p', limit, windowMs: 1_000 }], ...(penalty === undefined ? {} : { penalty }), store, failureMode: 'closed', now: () => 1_000, registry: new Registry() });
    // Two sets inlined (a second limiter with the same numbers shares the first's script).
    for (const l of [limiter(5), limiter(5), limiter(6)]) expect((await l.consume('k')).remaining).toBe(l.policies[0]!.limit - 1);
    expect(await cachedScripts()).toBe(2);
    // Past the bound: limits 7, 8, 9 share one script of their shape; a penalty is another shape.
    for (const l of [limiter(7), limiter(8), limiter(9)]) expect((await l.consume('k')).remaining).toBe(l.policies[0]!.limit - 1);
    expect(await cachedScripts()).toBe(3);
    expect((await limiter(10, { after: 1, blockMs: 1_000 }).consume('k')).remaining).toBe(9);
    expect(await cachedScripts()).toBe(4);
  });

  it('maxInlineScripts is an integer from 0 to 10 000', () => {
    for (const bad of [-1, 1.5, 10_001, Number.NaN, '3']) {
      expect(() => new RedisStore({ client, maxInlineScripts: bad as number })).toThrow(/maxInlineScripts must be an integer from 0 to 10000/);
    }
  });
});

describe('concurrency: four app servers, one bucket', () => {
  it.each([
    ['plain clients', {}],
    ['auto-pipelining clients', { enableAutoPipelining: true }],
  ] as [string, RedisOptions][])('2 000 concurrent decisions against capacity 100 through 4 %s allow exactly 100', async (_label, options) => {
    const url = inject('redisUrl');
    const clients = await Promise.all([0, 1, 2, 3].map(() => connect(url, options)));
    cleanup.push(() => clients.forEach((c) => c.disconnect()));
    const name = uniqueName('fleet');
    // One token a day comes back: no refill can happen during the test on the server's clock.
    const policies: RateLimitPolicy[] = [{ name: 'daily', limit: 100, windowMs: 86_400_000 }];
    const fleet = clients.map((client) => redisLimiter({ name, policies, client }).limiter);
    const decisions = await Promise.all(Array.from({ length: 2_000 }, (_, i) => fleet[i % 4]!.consume('shared')));
    const byOutcome = new Map<string, number>();
    for (const d of decisions) byOutcome.set(`${d.outcome}/${d.source}`, (byOutcome.get(`${d.outcome}/${d.source}`) ?? 0) + 1);
    expect(Object.fromEntries(byOutcome)).toEqual({ 'allowed/store': 100, 'limited/store': 1_900 });
    // Every allowed decision saw a distinct remaining count: no two paid for the same token.
    const remaining = decisions.filter((d) => d.allowed).map((d) => d.remaining).sort((a, b) => a - b);
    expect(remaining).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect((await fleet[2]!.consume('shared', 0)).remaining).toBe(0);
  });
});
