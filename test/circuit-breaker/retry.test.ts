/**
 * retry() against STANDARDS.md §4b–4f: attempts (the first included, hard
 * cap), the AWS backoff formulas with a seeded random source, pushback
 * (Retry-After) and the time budget, idempotency, breaker refusals never
 * retried, the retry budget, and cancellation: an abort mid-backoff stops
 * at once with no timer or listener left behind. Waits run on vitest's
 * fake timers.
 */
import {
  BrokenCircuitError,
  CircuitBreaker,
  backoffDelay,
  createRetryBudget,
  parseRetryAfter,
  retry,
  retryPolicy,
  type ResolvedBackoff,
} from '@ward/circuit-breaker';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** A seeded random source (mulberry32): the same sequence on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A function that fails `failures` times, then answers `value`, counting its calls. */
function flaky<T>(failures: number, value: T, error: () => unknown = () => new Error('upstream 503')) {
  const fn = vi.fn(async () => {
    if (fn.mock.calls.length <= failures) throw error();
    return value;
  });
  return fn;
}

/** Runs a retried call to the end on fake timers, collecting its waits. */
async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  const out = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await vi.runAllTimersAsync();
  return out;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('attempts', () => {
  it('maxAttempts counts the first: 3 attempts against an always failing call, then its last error', async () => {
    let n = 0;
    const fn = vi.fn(async () => {
      n += 1;
      throw new Error(`failure ${n}`);
    });
    const { error } = await settle(retry(fn, { maxAttempts: 3 }));
    expect(fn).toHaveBeenCalledTimes(3);
    expect(error).toMatchObject({ message: 'failure 3' });
  });

  it('answers the first good value, passing each attempt its number and the signal', async () => {
    const seen: number[] = [];
    const controller = new AbortController();
    const { value } = await settle(
      retry(
        async ({ attempt, signal }) => {
          seen.push(attempt);
          expect(signal).toBe(controller.signal);
          if (attempt < 3) throw new Error('not yet');
          return 'done';
        },
        { maxAttempts: 5, signal: controller.signal },
      ),
    );
    expect(value).toBe('done');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('clamps maxAttempts to the hard cap of 10 and refuses 0', async () => {
    const fn = flaky(100, 'never');
    await settle(retry(fn, { maxAttempts: 1_000, backoff: { baseMs: 1, maxMs: 1 } }));
    expect(fn).toHaveBeenCalledTimes(10);
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(RangeError);
  });

  it('a success arms no timer at all', async () => {
    await retry(async () => 1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('values are not retried unless retryOn says so; then the last disliked value is the answer', async () => {
    const statuses = [503, 503, 503];
    const fn = vi.fn(async () => ({ status: statuses.shift() ?? 200 }));
    expect(await settle(retry(fn, { maxAttempts: 2, retryOn: (o) => o.ok && o.value.status === 503 }))).toEqual({ value: { status: 503 } });
    expect(fn).toHaveBeenCalledTimes(2);
    const plain = vi.fn(async () => ({ status: 503 }));
    await retry(plain);
    expect(plain).toHaveBeenCalledOnce();
  });

  it('a predicate that throws is a no, and onGiveUp says why', async () => {
    const reasons: string[] = [];
    const fn = flaky(5, 1);
    const { error } = await settle(
      retry(fn, {
        retryOn: () => {
          throw new Error('predicate bug');
        },
        onGiveUp: (e) => reasons.push(`${e.reason} after ${e.attempts}`),
      }),
    );
    expect(error).toMatchObject({ message: 'upstream 503' });
    expect(fn).toHaveBeenCalledOnce();
    expect(reasons).toEqual(['not-retryable after 1']);
  });
});

describe('backoff formulas (AWS Architecture Blog, 2015)', () => {
  const b = (jitter: ResolvedBackoff['jitter']): ResolvedBackoff => ({ baseMs: 100, maxMs: 2_000, jitter });

  it('exponential without jitter: 100, 200, 400, 800, 1600, 2000, 2000', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(b('none'), n, 100, 0.5))).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    expect(backoffDelay(b('none'), 5_000, 100, 0.5)).toBe(2000); // 2ⁿ overflow stays capped
  });

  it('full jitter: r = 0 gives 0, r → 1 gives just under the exponential value; every sample in [0, min(cap, base·2ⁿ)]', () => {
    expect(backoffDelay(b('full'), 3, 100, 0)).toBe(0);
    expect(backoffDelay(b('full'), 3, 100, 0.999)).toBeCloseTo(799.2);
    const random = seeded(1);
    for (let n = 0; n < 12; n++) {
      const d = backoffDelay(b('full'), n, 100, random());
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(Math.min(2000, 100 * 2 ** n));
    }
  });

  it('equal jitter: every sample in [t/2, t]', () => {
    const random = seeded(2);
    for (let n = 0; n < 12; n++) {
      const t = Math.min(2000, 100 * 2 ** n);
      const d = backoffDelay(b('equal'), n, 100, random());
      expect(d).toBeGreaterThanOrEqual(t / 2);
      expect(d).toBeLessThanOrEqual(t);
    }
  });

  it('decorrelated jitter: in [base, cap], r = 1 gives 3× the previous (capped), built on the previous sample', () => {
    expect(backoffDelay(b('decorrelated'), 0, 100, 1)).toBe(300);
    expect(backoffDelay(b('decorrelated'), 1, 300, 1)).toBe(900);
    expect(backoffDelay(b('decorrelated'), 2, 900, 1)).toBe(2000);
    expect(backoffDelay(b('decorrelated'), 2, 900, 0)).toBe(100);
    const random = seeded(3);
    let previous = 100;
    for (let n = 0; n < 20; n++) {
      const d = backoffDelay(b('decorrelated'), n, previous, random());
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(Math.min(2000, previous * 3));
      previous = d;
    }
  });

  it('retry() waits exactly the formula’s delays with the same seeded source', async () => {
    const waits: number[] = [];
    await settle(retry(flaky(4, 'ok'), { maxAttempts: 5, backoff: { baseMs: 100, maxMs: 2_000, jitter: 'decorrelated' }, random: seeded(7), onRetry: (e) => waits.push(e.delayMs) }));
    const random = seeded(7);
    const expected: number[] = [];
    let previous = 100;
    for (let n = 0; n < 4; n++) expected.push((previous = backoffDelay(b('decorrelated'), n, previous, random())));
    expect(waits).toEqual(expected);
  });

  it('the waits really are waited: the next attempt starts no earlier than the delay', async () => {
    const fn = flaky(1, 'ok');
    const call = retry(fn, { backoff: { baseMs: 1_000, maxMs: 1_000, jitter: 'none' } });
    await vi.advanceTimersByTimeAsync(999);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    await expect(call).resolves.toBe('ok');
  });
});

describe('pushback and the time budget', () => {
  it('Retry-After 2 s: the next attempt waits max(backoff, 2 s)', async () => {
    const fn = flaky(1, 'ok', () => Object.assign(new Error('429'), { retryAfterMs: 2_000 }));
    const call = retry(fn, { backoff: { baseMs: 10, maxMs: 10, jitter: 'none' } });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(call).resolves.toBe('ok');
  });

  it('a pushback past maxRetryAfterMs or past the budget gives up at once with the last outcome', async () => {
    const reasons: string[] = [];
    const onGiveUp = (e: { reason: string }) => reasons.push(e.reason);
    const long = flaky(1, 'ok', () => Object.assign(new Error('come back in an hour'), { retryAfterMs: 3_600_000 }));
    await expect(retry(long, { onGiveUp })).rejects.toThrow('come back in an hour');
    const budgeted = flaky(1, 'ok', () => Object.assign(new Error('come back in 10 s'), { retryAfterMs: 10_000 }));
    await expect(retry(budgeted, { budgetMs: 5_000, onGiveUp, now: () => Date.now() })).rejects.toThrow('come back in 10 s');
    expect(long).toHaveBeenCalledOnce();
    expect(budgeted).toHaveBeenCalledOnce();
    expect(reasons).toEqual(['pushback', 'deadline']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the budget bounds the whole call: no wait ends past it', async () => {
    const fn = flaky(100, 'never');
    const started = Date.now();
    await settle(retry(fn, { maxAttempts: 10, budgetMs: 1_000, backoff: { baseMs: 300, maxMs: 300, jitter: 'none' }, now: () => Date.now() }));
    expect(fn).toHaveBeenCalledTimes(4); // attempts at 0, 300, 600, 900 ms
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('parseRetryAfter: delay-seconds, HTTP-date against the Date header, malformed values ignored', () => {
    const now = Date.parse('Wed, 02 Dec 2026 10:00:00 GMT');
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 02 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 02 Dec 2026 10:00:30 GMT', now + 3_600_000, 'Wed, 02 Dec 2026 10:00:10 GMT')).toBe(20_000);
    expect(parseRetryAfter('Wed, 02 Dec 2026 09:00:00 GMT', now)).toBe(0);
    for (const bad of ['-1', '1.5', 'abc', '', '2026-12-02', 'soon, please', undefined, null]) expect(parseRetryAfter(bad, now)).toBeUndefined();
  });
});

describe('what is never retried', () => {
  it('a breaker’s refusal: 1 attempt, the downstream never called', async () => {
    const breaker = new CircuitBreaker({ registry: false });
    breaker.isolate();
    const downstream = vi.fn(async () => 1);
    const attempts = vi.fn(() => breaker.execute(downstream));
    await expect(retry(attempts, { maxAttempts: 5 })).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(attempts).toHaveBeenCalledOnce();
    expect(downstream).not.toHaveBeenCalled();
  });

  it('non-idempotent methods: POST is not retried unless told, or unless the connection was refused', async () => {
    const post = flaky(1, 'ok');
    await expect(retry(post, { method: 'POST' })).rejects.toThrow('upstream 503');
    expect(post).toHaveBeenCalledOnce();
    const refused = flaky(1, 'ok', () => new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
    expect(await settle(retry(refused, { method: 'post' }))).toEqual({ value: 'ok' });
    const told = flaky(1, 'ok');
    expect(await settle(retry(told, { method: 'PATCH', retryNonIdempotent: true }))).toEqual({ value: 'ok' });
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) {
      expect(await settle(retry(flaky(1, method), { method }))).toEqual({ value: method });
    }
  });
});

describe('retry budget', () => {
  it('retries are at most the ratio of calls (plus the floor): the one past it is refused and the error surfaces', async () => {
    const strict = createRetryBudget({ ratio: 0.2, minRetries: 0, now: () => Date.now() });
    for (let i = 0; i < 100; i++) await retry(async () => 1, { budget: strict });
    let allowed = 0;
    const refusals: string[] = [];
    for (let i = 0; i < 30; i++) {
      await settle(retry(flaky(1, 'ok'), { budget: strict, maxAttempts: 2, backoff: { baseMs: 0, maxMs: 0 }, onRetry: () => (allowed += 1), onGiveUp: (e) => refusals.push(e.reason) }));
    }
    // Call 100 + i may retry while ⌊0.2 × (100 + i)⌋ exceeds the retries so far: i = 1…25, then
    // not at i = 26…29 (⌊25.x⌋ = 25 retries taken), and again at i = 30 (⌊26⌋).
    expect(allowed).toBe(26);
    expect(refusals).toEqual(['budget', 'budget', 'budget', 'budget']);
    expect(strict.snapshot()).toEqual({ calls: 130, retries: 26, available: 0 });
  });

  it('the floor lets a quiet service retry; the window forgets old calls', async () => {
    const budget = createRetryBudget({ ratio: 0.1, minRetries: 3, windowMs: 1_000, now: () => Date.now() });
    let retried = 0;
    for (let i = 0; i < 5; i++) await settle(retry(flaky(1, 'ok'), { budget, backoff: { baseMs: 0, maxMs: 0 }, onRetry: () => (retried += 1) }));
    expect(retried).toBe(3);
    vi.advanceTimersByTime(2_000);
    expect(budget.snapshot()).toEqual({ calls: 0, retries: 0, available: 3 });
  });
});

describe('cancellation', () => {
  it('an abort during a backoff wait rejects at once with the signal’s reason; no further attempt, no timer left', async () => {
    const fn = flaky(10, 'ok');
    const controller = new AbortController();
    const call = retry(fn, { maxAttempts: 5, backoff: { baseMs: 10_000, maxMs: 10_000, jitter: 'none' }, signal: controller.signal });
    const out = call.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(vi.getTimerCount()).toBe(1);
    controller.abort();
    expect(await out).toMatchObject({ name: 'AbortError' });
    expect(fn).toHaveBeenCalledOnce();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an abort after the attempt and before the wait (in onRetry) rejects at once: no backoff slept, no next attempt', async () => {
    const fn = flaky(10, 'ok');
    const controller = new AbortController();
    const call = retry(fn, {
      maxAttempts: 5,
      backoff: { baseMs: 10_000, maxMs: 10_000, jitter: 'none' },
      signal: controller.signal,
      onRetry: () => controller.abort(new Error('left during onRetry')),
    });
    await expect(call).rejects.toThrow('left during onRetry');
    expect(fn).toHaveBeenCalledOnce();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a signal aborted before the call runs nothing; an abort during an attempt is not retried', async () => {
    const controller = new AbortController();
    controller.abort(new Error('caller left'));
    const fn = vi.fn(async () => 1);
    await expect(retry(fn, { signal: controller.signal })).rejects.toThrow('caller left');
    expect(fn).not.toHaveBeenCalled();
    const live = new AbortController();
    const attempt = vi.fn(async () => {
      live.abort(new Error('gone mid-attempt'));
      throw new Error('attempt cut');
    });
    await expect(retry(attempt, { signal: live.signal })).rejects.toThrow('gone mid-attempt');
    expect(attempt).toHaveBeenCalledOnce();
  });

  it('1 000 retried calls sharing one long-lived signal leave no listener behind', async () => {
    const controller = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const policy = retryPolicy({ maxAttempts: 2, backoff: { baseMs: 1, maxMs: 1, jitter: 'none' } });
    for (let i = 0; i < 1_000; i++) await settle(policy.execute(flaky(1, i), { signal: controller.signal }));
    process.off('warning', onWarning);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    // Node keeps the listeners of an EventTarget in an internal map; none remains.
    const symbols = Object.getOwnPropertySymbols(controller.signal);
    const kEvents = symbols.find((s) => s.description === 'kEvents')!;
    expect((controller.signal as unknown as Record<symbol, Map<string, unknown>>)[kEvents]!.size).toBe(0);
  });
});
