/**
 * The bucket math and the limiter on a MemoryStore with a scripted clock:
 * burst, refill to the millisecond, cost > 1, cost > burst, a clock that
 * goes backwards, several policies decided together (all charged or none),
 * and the memory bound.
 */
import { MemoryStore, createRateLimiter, rateLimit, type RateLimitDecision, type RateLimitPolicy } from '@ward/rate-limit';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

function rig(policies: RateLimitPolicy[], start = 1_000_000) {
  const clock = { now: start };
  const store = new MemoryStore({ now: () => clock.now });
  const limiter = createRateLimiter({ policies, store, registry: new Registry() });
  return { clock, store, limiter };
}

const pick = (d: RateLimitDecision) => ({ outcome: d.outcome, remaining: d.remaining, retryAfterMs: d.retryAfterMs, resetMs: d.resetMs, violated: d.violated });

describe('token bucket: one policy', () => {
  it('allows burst requests back to back, refuses the next with the wait for one token', async () => {
    const { limiter } = rig([{ name: 'burst', limit: 10, windowMs: 1_000 }]);
    for (let i = 9; i >= 0; i--) expect(pick(await limiter.consume('k'))).toMatchObject({ outcome: 'allowed', remaining: i, retryAfterMs: 0, violated: [] });
    // One token per 100 ms: the 11th waits exactly 100 ms; a refusal charges nothing.
    expect(pick(await limiter.consume('k'))).toEqual({ outcome: 'limited', remaining: 0, retryAfterMs: 100, resetMs: 1_000, violated: ['burst'] });
    expect(pick(await limiter.consume('k'))).toEqual({ outcome: 'limited', remaining: 0, retryAfterMs: 100, resetMs: 1_000, violated: ['burst'] });
  });

  it('refills to the millisecond: 99 ms is not a token, 100 ms is', async () => {
    const { clock, limiter } = rig([{ name: 'burst', limit: 10, windowMs: 1_000 }]);
    for (let i = 0; i < 10; i++) await limiter.consume('k');
    clock.now += 99;
    expect(pick(await limiter.consume('k'))).toMatchObject({ outcome: 'limited', retryAfterMs: 1 });
    clock.now += 1;
    expect(pick(await limiter.consume('k'))).toMatchObject({ outcome: 'allowed', remaining: 0 });
    // Partial refills add up exactly: 3 × 33 ms + 1 ms = one token.
    for (let i = 0; i < 3; i++) {
      clock.now += 33;
      expect((await limiter.consume('k')).outcome).toBe('limited');
    }
    clock.now += 1;
    expect((await limiter.consume('k')).outcome).toBe('allowed');
  });

  it('never holds more than burst, however long idle', async () => {
    const { clock, limiter } = rig([{ name: 'p', limit: 5, windowMs: 1_000, burst: 3 }]);
    await limiter.consume('k');
    clock.now += 10 * 365 * 86_400_000;
    const d = await limiter.consume('k');
    expect(pick(d)).toMatchObject({ outcome: 'allowed', remaining: 2 });
    // resetMs: 1 token of 200 ms to refill.
    expect(d.resetMs).toBe(200);
  });

  it('cost > 1 needs that many tokens; cost 0 only reads', async () => {
    const { limiter } = rig([{ name: 'p', limit: 10, windowMs: 10_000 }]);
    expect(pick(await limiter.consume('k', 7))).toMatchObject({ outcome: 'allowed', remaining: 3 });
    expect(pick(await limiter.consume('k', 4))).toEqual({ outcome: 'limited', remaining: 3, retryAfterMs: 1_000, resetMs: 7_000, violated: ['p'] });
    expect(pick(await limiter.consume('k', 0))).toMatchObject({ outcome: 'allowed', remaining: 3 });
    expect(pick(await limiter.consume('k', 3))).toMatchObject({ outcome: 'allowed', remaining: 0 });
  });

  it('a cost above burst is always refused with its own outcome and no finite wait', async () => {
    const { clock, limiter } = rig([{ name: 'p', limit: 10, windowMs: 1_000 }]);
    const d = await limiter.consume('k', 11);
    expect(pick(d)).toEqual({ outcome: 'cost_exceeds_burst', remaining: 10, retryAfterMs: Number.POSITIVE_INFINITY, resetMs: 0, violated: ['p'] });
    clock.now += 1e9;
    expect((await limiter.consume('k', 11)).outcome).toBe('cost_exceeds_burst');
    expect((await limiter.consume('k', 10)).outcome).toBe('allowed');
    // Past what any policy holds (10^9): the same outcome, not a RangeError.
    for (const huge of [1_000_000_001, 1e300]) expect((await limiter.consume('k', huge)).outcome).toBe('cost_exceeds_burst');
  });

  it('a fixed cost above a policy’s burst is refused at configuration: no request could ever pass', () => {
    expect(() => rateLimit({ policies: [{ name: 'p', limit: 10, windowMs: 1_000 }], cost: 11, registry: new Registry() })).toThrow(/cost 11 is more than a policy's burst \("p": 10\)/);
  });

  it('a clock that goes backwards refills nothing and does not rewind', async () => {
    const { clock, limiter } = rig([{ name: 'p', limit: 10, windowMs: 1_000 }]);
    for (let i = 0; i < 10; i++) await limiter.consume('k');
    clock.now -= 5_000;
    expect((await limiter.consume('k')).outcome).toBe('limited');
    // Back to the original time: still nothing gained (no refill for the rewound span).
    clock.now += 5_000;
    expect((await limiter.consume('k')).outcome).toBe('limited');
    clock.now += 100;
    expect((await limiter.consume('k')).outcome).toBe('allowed');
  });

  it('keys are independent', async () => {
    const { limiter } = rig([{ name: 'p', limit: 1, windowMs: 60_000 }]);
    expect((await limiter.consume('a')).outcome).toBe('allowed');
    expect((await limiter.consume('a')).outcome).toBe('limited');
    expect((await limiter.consume('b')).outcome).toBe('allowed');
    await limiter.reset('a');
    expect((await limiter.consume('a')).outcome).toBe('allowed');
  });

  it('a fractional rate (7 per 1 000 ms) stays exact over a whole window', async () => {
    const { clock, limiter } = rig([{ name: 'p', limit: 7, windowMs: 1_000 }]);
    for (let i = 0; i < 7; i++) await limiter.consume('k');
    let allowed = 0;
    for (let ms = 0; ms < 1_000; ms++) {
      clock.now += 1;
      if ((await limiter.consume('k')).outcome === 'allowed') allowed++;
    }
    // 1 000 ms bring back exactly 7 tokens, each spent as soon as it is whole.
    expect(allowed).toBe(7);
  });
});

describe('token bucket: several policies decided together', () => {
  const policies: RateLimitPolicy[] = [
    { name: 'burst', limit: 3, windowMs: 1_000 },
    { name: 'hourly', limit: 5, windowMs: 3_600_000 },
  ];

  it('the strictest refuses, and a refusal charges no policy', async () => {
    const { clock, limiter } = rig(policies);
    for (let i = 0; i < 3; i++) expect((await limiter.consume('k')).outcome).toBe('allowed');
    const refused = await limiter.consume('k');
    expect(refused.violated).toEqual(['burst']);
    expect(refused.policies.map((p) => [p.name, p.remaining])).toEqual([['burst', 0], ['hourly', 2]]);
    clock.now += 1_000;
    expect((await limiter.consume('k')).outcome).toBe('allowed');
    expect((await limiter.consume('k')).outcome).toBe('allowed');
    // hourly is spent now: burst has a token, hourly does not.
    const hourly = await limiter.consume('k');
    expect(pick(hourly)).toMatchObject({ outcome: 'limited', violated: ['hourly'], remaining: 0 });
    expect(hourly.policies.map((p) => [p.name, p.remaining])).toEqual([['burst', 1], ['hourly', 0]]);
    // 720 000 ms per hourly token, 1 000 ms of which have already passed since the first request.
    expect(hourly.retryAfterMs).toBe(719_000);
  });

  it('both violated: the longest wait is the request’s', async () => {
    const { limiter } = rig([{ name: 'a', limit: 1, windowMs: 1_000 }, { name: 'b', limit: 1, windowMs: 5_000 }]);
    await limiter.consume('k');
    const d = await limiter.consume('k');
    expect(d.violated).toEqual(['a', 'b']);
    expect(d.retryAfterMs).toBe(5_000);
    expect(d.resetMs).toBe(5_000);
  });
});

describe('MemoryStore: the bound', () => {
  it('1 000 000 distinct keys leave exactly max entries', async () => {
    const store = new MemoryStore({ max: 10_000, now: () => 1_000_000 });
    const limiter = createRateLimiter({ policies: [{ name: 'p', limit: 5, windowMs: 60_000 }], store, registry: new Registry() });
    const policies = limiter.policies;
    for (let i = 0; i < 1_000_000; i++) store.consume(`k${i}`, policies, 1);
    expect(store.size).toBe(10_000);
    // The most recent keys are the ones kept.
    expect(store.consume('k999999', policies, 0).state[1]).toBe(4 * 60_000);
    expect(store.consume('k0', policies, 0).state[1]).toBe(5 * 60_000);
  });
});

describe('MemoryStore shared by several limiters', () => {
  const policies: RateLimitPolicy[] = [{ name: 'p', limit: 2, windowMs: 60_000 }];
  const on = (store: MemoryStore, name: string) => createRateLimiter({ name, policies, store, registry: new Registry() });

  it('keeps each name in its own namespace, and one name in one, bounded by max in each', async () => {
    const store = new MemoryStore({ max: 2, now: () => 1_000_000 });
    const login = on(store, 'login');
    const api = on(store, 'api');
    const again = on(store, 'login');
    expect((await login.consume('alice')).remaining).toBe(1);
    // Another limiter's key of the same spelling is another bucket…
    expect((await api.consume('alice')).remaining).toBe(1);
    // …a limiter of the same name is the same bucket (as in Redis, where its keys are the same keys).
    expect((await again.consume('alice')).remaining).toBe(0);
    expect((await login.consume('alice')).outcome).toBe('limited');
    // The store's own keys (direct calls) are apart from every limiter's…
    expect(store.consume('alice', login.policies, 1).state[1]).toBe(60_000);
    expect(store.size).toBe(3);
    // …except a limiter's full key, which is that limiter's bucket, as in Redis.
    expect(store.consume('ward:rl:{api:alice}', api.policies, 1).allowed).toBe(true);
    expect((await api.consume('alice')).outcome).toBe('limited');
    store.reset('ward:rl:{api:alice}');
    expect((await api.consume('alice')).remaining).toBe(1);
    expect(store.size).toBe(3);
    // max counts per namespace: two more keys of 'api' evict its 'alice', not login's.
    await api.consume('bob');
    await api.consume('carol');
    expect(store.size).toBe(4);
    expect((await api.consume('alice')).remaining).toBe(1);
    expect((await login.consume('alice')).outcome).toBe('limited');
  });

  it('buckets decided through full keys before a limiter existed are its buckets once it does', async () => {
    const store = new MemoryStore({ now: () => 1_000_000 });
    const probe = on(new MemoryStore(), 'probe');
    store.consume('ward:rl:{late:k}', probe.policies, 2);
    store.consume('k', probe.policies, 1);
    const late = on(store, 'late');
    expect((await late.consume('k')).outcome).toBe('limited');
    expect(store.size).toBe(2);
  });

  it('reset() forgets a key in its own limiter only; clear() forgets every namespace', async () => {
    const store = new MemoryStore({ now: () => 1_000_000 });
    const a = on(store, 'a');
    const b = on(store, 'b');
    await a.consume('k');
    await b.consume('k');
    await a.reset('k');
    expect((await a.consume('k')).remaining).toBe(1);
    expect((await b.consume('k')).remaining).toBe(0);
    store.clear();
    expect(store.size).toBe(0);
    expect((await b.consume('k')).remaining).toBe(1);
  });
});

describe('MemoryStore: the last key decided', () => {
  it('is the most recent entry: repeats, evictions (max 1) and resets all stay exact', async () => {
    const store = new MemoryStore({ max: 1, now: () => 1_000_000 });
    const limiter = createRateLimiter({ policies: [{ name: 'p', limit: 3, windowMs: 60_000 }], store, registry: new Registry() });
    expect((await limiter.consume('a')).remaining).toBe(2);
    expect((await limiter.consume('a')).remaining).toBe(1);
    // b evicts a (max 1): a comes back full, and b is then evicted in turn.
    expect((await limiter.consume('b')).remaining).toBe(2);
    expect((await limiter.consume('a')).remaining).toBe(2);
    expect((await limiter.consume('b')).remaining).toBe(2);
    expect(store.size).toBe(1);
    // A reset of the last key forgets it too.
    await limiter.reset('b');
    expect((await limiter.consume('b')).remaining).toBe(2);
    store.clear();
    expect((await limiter.consume('b')).remaining).toBe(2);
  });
});

describe('configuration errors name the option', () => {
  const make = (policies: unknown) => () => createRateLimiter({ policies: policies as RateLimitPolicy[], registry: new Registry() });
  it.each([
    [[], TypeError, /policies must be a non-empty array/],
    [[{ name: 'x', limit: 0, windowMs: 1 }], RangeError, /policies\[0\]\.limit must be an integer from 1/],
    [[{ name: 'x', limit: 1.5, windowMs: 1 }], RangeError, /limit/],
    [[{ name: 'x', limit: 1, windowMs: '1000' }], TypeError, /policies\[0\]\.windowMs/],
    [[{ name: 'bad name', limit: 1, windowMs: 1 }], TypeError, /name must be 1–64 characters/],
    [[{ name: 'x', limit: 1, windowMs: 1, burts: 3 }], TypeError, /burts is not a policy option/],
    [[{ name: 'x', limit: 1, windowMs: 1 }, { name: 'x', limit: 2, windowMs: 2 }], RangeError, /"x" is used twice/],
    [[{ name: 'x', limit: 1_000_000_000, windowMs: 31_536_000_000 }], RangeError, /below 2\^53/],
  ])('%j', (policies, type, message) => {
    expect(make(policies)).toThrow(type);
    expect(make(policies)).toThrow(message);
  });

  it('a misspelt option is refused, naming it', () => {
    const options = { policies: [{ name: 'p', limit: 1, windowMs: 1 }], failuremode: 'closed', registry: new Registry() };
    expect(() => createRateLimiter(options as never)).toThrow(/unknown option "failuremode"/);
  });

  it('a shared store needs an explicit failure mode', () => {
    const store = { kind: 'redis', consume: () => ({ allowed: true, state: [0, 0] }), reset: () => undefined };
    expect(() => createRateLimiter({ policies: [{ name: 'p', limit: 1, windowMs: 1 }], store, registry: new Registry() })).toThrow(/failureMode is required with a redis store/);
    expect(() => createRateLimiter({ policies: [{ name: 'p', limit: 1, windowMs: 1 }], store, failureMode: 'sideways' as 'open', registry: new Registry() })).toThrow(RangeError);
  });

  it('bad costs are programming errors, not decisions', async () => {
    const { limiter } = rig([{ name: 'p', limit: 1, windowMs: 1 }]);
    await expect(limiter.consume('k', -1)).rejects.toThrow(RangeError);
    await expect(limiter.consume('k', 1.5)).rejects.toThrow(RangeError);
    await expect(limiter.consume(42 as unknown as string)).rejects.toThrow(TypeError);
  });
});
