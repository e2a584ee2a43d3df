/**
 * The breaker's state machine against resilience4j's semantics
 * (STANDARDS.md §4a): thresholds judged only from minimumCalls, inclusive
 * boundaries, count and time windows sliding, slow calls strictly above
 * the threshold, ignored outcomes, refusals that call nothing, lazy and
 * automatic half-open, half-open concurrency and its verdict, growing open
 * durations, fresh metrics after each transition, events and metrics. The
 * clock is a variable the test moves; timers are vitest's fake ones.
 */
import { BrokenCircuitError, CircuitBreaker, type CircuitBreakerOptions, type CircuitState, isBrokenCircuitError } from '@ward/circuit-breaker';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** A breaker on a clock the test moves, with no metrics unless asked. */
function breakerAt(options: CircuitBreakerOptions = {}) {
  const clock = { t: 1_000_000 };
  const breaker = new CircuitBreaker({ registry: false, now: () => clock.t, ...options });
  const states: string[] = [];
  breaker.on('stateChange', (e) => states.push(`${e.from}>${e.to}:${e.reason}`));
  return { breaker, clock, states };
}

const ok = () => Promise.resolve('ok');
const boom = () => Promise.reject(new Error('boom'));

/** Runs calls in order: 'S' succeeds, 'F' fails. */
async function calls(breaker: CircuitBreaker, pattern: string): Promise<void> {
  for (const c of pattern) await breaker.execute(c === 'S' ? ok : boom).catch(() => undefined);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('closed: when the failure rate opens the circuit', () => {
  it('judges nothing below minimumCalls: 4 failures of 5 needed stay closed, the 5th opens', async () => {
    const { breaker } = breakerAt({ windowSize: 10, minimumCalls: 5, failureRateThreshold: 50 });
    await calls(breaker, 'FFFF');
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().failureRate).toBeNull();
    await calls(breaker, 'F');
    expect(breaker.state).toBe('open');
  });

  it('opens at exactly the threshold (5 of 10 at 50 %) and not below it (4 of 10)', async () => {
    const below = breakerAt({ windowSize: 10, minimumCalls: 10, failureRateThreshold: 50 }).breaker;
    await calls(below, 'FFFFSSSSSS');
    expect(below.state).toBe('closed');
    expect(below.snapshot().failureRate).toBe(40);
    const at = breakerAt({ windowSize: 10, minimumCalls: 10, failureRateThreshold: 50 }).breaker;
    await calls(at, 'FFFFFSSSSS');
    expect(at.state).toBe('open');
  });

  it('caps minimumCalls at the size of a count window (window 5, minimum 100: 5 failures open it)', async () => {
    const { breaker } = breakerAt({ windowSize: 5, minimumCalls: 100 });
    await calls(breaker, 'FFFF');
    expect(breaker.state).toBe('closed');
    await calls(breaker, 'F');
    expect(breaker.state).toBe('open');
  });

  it('a count window holds the last N calls: F,F then four S in a window of 4 leaves 0 %', async () => {
    const { breaker } = breakerAt({ windowSize: 4, minimumCalls: 4, failureRateThreshold: 75 });
    await calls(breaker, 'FFSSSS');
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: 4, failureRate: 0 });
  });

  it('a success that brings the window to minimumCalls can open it (3 failures then 1 success at 50 %)', async () => {
    const { breaker } = breakerAt({ windowSize: 10, minimumCalls: 4, failureRateThreshold: 50 });
    await calls(breaker, 'FFF');
    expect(breaker.state).toBe('closed');
    await calls(breaker, 'S');
    expect(breaker.state).toBe('open');
  });

  it('a time window forgets calls older than its duration and does not cap minimumCalls', async () => {
    const { breaker, clock } = breakerAt({ window: 'time', windowMs: 10_000, windowBuckets: 10, minimumCalls: 6, failureRateThreshold: 50 });
    const start = Math.ceil(clock.t / 1000) * 1000;
    for (let s = 0; s < 5; s++) {
      clock.t = start + s * 1000;
      await calls(breaker, 'F'); // t = 0 … 4 s
    }
    expect(breaker.state).toBe('closed'); // 5 calls < minimumCalls 6
    clock.t = start + 15_000;
    expect(breaker.snapshot().calls).toBe(0); // the failures of 0 … 4 s have aged out
    await calls(breaker, 'SSSSSF');
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: 6, failureRate: 16.67 });
  });

  it('a time window of a longer idle period than itself starts empty, and a window spans its buckets', async () => {
    const { breaker, clock } = breakerAt({ window: 'time', windowMs: 1_000, windowBuckets: 4, minimumCalls: 1, failureRateThreshold: 100 });
    await calls(breaker, 'S');
    clock.t += 600;
    await calls(breaker, 'S');
    expect(breaker.snapshot().calls).toBe(2);
    clock.t += 500; // the first call's bucket has aged out, the second's has not
    expect(breaker.snapshot().calls).toBe(1);
    clock.t += 3_600_000;
    expect(breaker.snapshot().calls).toBe(0);
  });
});

describe('slow calls', () => {
  it('a call is slow strictly above the threshold: 100 ms is not, 101 ms is', async () => {
    const { breaker, clock } = breakerAt({ windowSize: 2, minimumCalls: 2, slowCallDurationMs: 100, slowCallRateThreshold: 50 });
    const taking = (ms: number) => () => {
      clock.t += ms;
      return Promise.resolve(1);
    };
    await breaker.execute(taking(100));
    await breaker.execute(taking(100));
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', slowCallRate: 0 });
    await breaker.execute(taking(101));
    expect(breaker.state).toBe('open');
  });

  it('a slow failure counts toward both rates; slow calls open the circuit even when all succeed', async () => {
    const { breaker, clock, states } = breakerAt({ windowSize: 4, minimumCalls: 4, slowCallDurationMs: 50, slowCallRateThreshold: 75, failureRateThreshold: 50 });
    const slowOk = () => {
      clock.t += 60;
      return Promise.resolve(1);
    };
    const slowFail = () => {
      clock.t += 60;
      return Promise.reject(new Error('slow and failed'));
    };
    await breaker.execute(slowFail).catch(() => undefined);
    await breaker.execute(ok);
    await breaker.execute(slowOk);
    expect(breaker.snapshot()).toMatchObject({ calls: 3, failureRate: null });
    await breaker.execute(slowOk);
    expect(states).toEqual(['closed>open:slow-call-rate']);
  });

  it('without slowCallDurationMs, calls are not timed and never slow', async () => {
    const { breaker, clock } = breakerAt({ windowSize: 2, minimumCalls: 2, slowCallRateThreshold: 1 });
    const forever = () => {
      clock.t += 86_400_000;
      return Promise.resolve(1);
    };
    await breaker.execute(forever);
    await breaker.execute(forever);
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', slowCallRate: 0 });
  });
});

describe('which outcomes count', () => {
  class ValidationError extends Error {}

  it('an ignored outcome changes no rate and gives back a half-open trial', async () => {
    const { breaker, clock } = breakerAt({ windowSize: 4, minimumCalls: 2, halfOpenCalls: 1, openDurationMs: 1_000, isIgnored: (o) => !o.ok && o.error instanceof ValidationError });
    const invalid = () => Promise.reject(new ValidationError('bad input'));
    await breaker.execute(invalid).catch(() => undefined);
    await breaker.execute(invalid).catch(() => undefined);
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: 0 });
    await calls(breaker, 'FF');
    expect(breaker.state).toBe('open');
    clock.t += 1_000;
    await breaker.execute(invalid).catch(() => undefined); // the only trial, given back
    expect(breaker.state).toBe('half-open');
    await breaker.execute(ok); // the trial again
    expect(breaker.state).toBe('closed');
  });

  it('with isFailure, an unclassified error is a success and a disliked value is a failure', async () => {
    const { breaker } = breakerAt({ windowSize: 2, minimumCalls: 2, failureRateThreshold: 100, isFailure: (o) => (o.ok ? o.value === 503 : o.error instanceof TypeError) });
    await breaker.execute(boom).catch(() => undefined);
    await breaker.execute(boom).catch(() => undefined);
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', failureRate: 0 });
    await breaker.execute(() => Promise.resolve(503));
    await breaker.execute(() => Promise.resolve(503));
    expect(breaker.state).toBe('open');
  });

  it('the caller aborting through execute’s signal is ignored', async () => {
    const { breaker } = breakerAt({ windowSize: 1, minimumCalls: 1 });
    const controller = new AbortController();
    const call = breaker.execute((signal) => new Promise((_, reject) => signal!.addEventListener('abort', () => reject(signal!.reason))), { signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: 0 });
    await expect(breaker.execute(ok, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a synchronous throw and a plain value are recorded like a rejection and a resolution', async () => {
    const { breaker } = breakerAt({ windowSize: 2, minimumCalls: 2 });
    await expect(breaker.execute(() => 7)).resolves.toBe(7);
    await expect(
      breaker.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(breaker.state).toBe('open');
  });
});

describe('open', () => {
  it('refuses at once without calling, with a typed error whose retryAfterMs counts down; refusals leave the window alone', async () => {
    const { breaker, clock } = breakerAt({ windowSize: 2, minimumCalls: 2, openDurationMs: 30_000 });
    await calls(breaker, 'FF');
    const fn = vi.fn(ok);
    clock.t += 10_000;
    const error = await breaker.execute(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(BrokenCircuitError);
    expect(isBrokenCircuitError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'CIRCUIT_OPEN', state: 'open', breaker: 'default', retryAfterMs: 20_000 });
    expect((error as BrokenCircuitError).retryAfter).toBe(20);
    expect(breaker.snapshot()).toMatchObject({ retryAfterMs: 20_000, trips: 1 });
  });

  it('stays open past its duration with no traffic; the first call after it is a permitted trial', async () => {
    const { breaker, clock, states } = breakerAt({ windowSize: 2, minimumCalls: 2, openDurationMs: 1_000, halfOpenCalls: 2 });
    await calls(breaker, 'FF');
    clock.t += 5_000;
    expect(breaker.state).toBe('open');
    const fn = vi.fn(ok);
    await breaker.execute(fn);
    expect(fn).toHaveBeenCalledOnce();
    expect(states).toEqual(['closed>open:failure-rate', 'open>half-open:open-elapsed']);
  });

  it('with autoHalfOpen, moves to half-open when the duration ends, with no call (one timer per trip)', async () => {
    vi.useFakeTimers();
    const { breaker } = breakerAt({ windowSize: 2, minimumCalls: 2, openDurationMs: 1_000, autoHalfOpen: true });
    await calls(breaker, 'FF');
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(999);
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe('half-open');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the open duration grows by the multiplier on each failed trial, up to its cap, and starts over once closed', async () => {
    const { breaker, clock } = breakerAt({ windowSize: 1, minimumCalls: 1, halfOpenCalls: 1, openDurationMs: 1_000, openDurationMultiplier: 2, maxOpenDurationMs: 3_000 });
    const waits: number[] = [];
    await calls(breaker, 'F');
    for (let i = 0; i < 3; i++) {
      waits.push(breaker.snapshot().retryAfterMs!);
      clock.t += breaker.snapshot().retryAfterMs!;
      await calls(breaker, 'F'); // the trial fails
    }
    waits.push(breaker.snapshot().retryAfterMs!);
    expect(waits).toEqual([1_000, 2_000, 3_000, 3_000]);
    clock.t += 3_000;
    await calls(breaker, 'S');
    expect(breaker.state).toBe('closed');
    await calls(breaker, 'F');
    expect(breaker.snapshot()).toMatchObject({ state: 'open', trips: 1, retryAfterMs: 1_000 });
  });
});

describe('half-open', () => {
  async function halfOpen(options: CircuitBreakerOptions = {}) {
    const at = breakerAt({ windowSize: 2, minimumCalls: 2, openDurationMs: 1_000, ...options });
    await calls(at.breaker, 'FF');
    at.clock.t += 1_000;
    return at;
  }

  it('lets 3 concurrent trials through and refuses the 4th at once', async () => {
    const { breaker } = await halfOpen({ halfOpenCalls: 3 });
    const releases: (() => void)[] = [];
    const pending = () => new Promise<void>((resolve) => releases.push(resolve));
    const trials = [breaker.execute(pending), breaker.execute(pending), breaker.execute(pending)];
    const fourth = vi.fn(ok);
    const refused = await breaker.execute(fourth).catch((e: unknown) => e);
    expect(fourth).not.toHaveBeenCalled();
    expect(refused).toMatchObject({ code: 'CIRCUIT_OPEN', state: 'half-open', retryAfterMs: 1_000 });
    expect(breaker.state).toBe('half-open');
    for (const release of releases) release();
    await Promise.all(trials);
    expect(breaker.state).toBe('closed');
  });

  it('decides only once every trial is recorded: 2 of 3 failed opens again; 1 of 3 closes', async () => {
    const failing = await halfOpen({ halfOpenCalls: 3, failureRateThreshold: 50 });
    await calls(failing.breaker, 'FS');
    expect(failing.breaker.state).toBe('half-open');
    await calls(failing.breaker, 'F');
    expect(failing.states.at(-1)).toBe('half-open>open:trials-failed');
    const passing = await halfOpen({ halfOpenCalls: 3, failureRateThreshold: 50 });
    await calls(passing.breaker, 'FSS');
    expect(passing.states.at(-1)).toBe('half-open>closed:trials-passed');
  });

  it('closing starts a fresh window: an old failure does not count after it', async () => {
    const { breaker } = await halfOpen({ halfOpenCalls: 1, windowSize: 2, minimumCalls: 2 });
    await calls(breaker, 'S');
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', calls: 0, failureRate: null });
    await calls(breaker, 'F');
    expect(breaker.state).toBe('closed');
  });

  it('with maxHalfOpenMs, trials that never finish open the circuit again after it; without it, half-open waits', async () => {
    vi.useFakeTimers();
    const bounded = await halfOpen({ halfOpenCalls: 1, maxHalfOpenMs: 5_000 });
    void bounded.breaker.execute(() => new Promise(() => {}));
    expect(bounded.breaker.state).toBe('half-open');
    vi.advanceTimersByTime(5_000);
    expect(bounded.states.at(-1)).toBe('half-open>open:half-open-timeout');
    const unbounded = await halfOpen({ halfOpenCalls: 1 });
    void unbounded.breaker.execute(() => new Promise(() => {}));
    vi.advanceTimersByTime(3_600_000);
    expect(unbounded.breaker.state).toBe('half-open');
  });

  it('a call that started while closed and ends during half-open is not taken for a trial', async () => {
    const { breaker, clock } = breakerAt({ windowSize: 2, minimumCalls: 2, openDurationMs: 1_000, halfOpenCalls: 1 });
    let release!: () => void;
    const old = breaker.execute(() => new Promise<void>((resolve) => (release = resolve)));
    await calls(breaker, 'FF');
    clock.t += 1_000;
    let trialDone!: () => void;
    const trial = breaker.execute(() => new Promise<void>((resolve) => (trialDone = resolve)));
    release();
    await old;
    expect(breaker.state).toBe('half-open'); // the old success did not close it
    trialDone();
    await trial;
    expect(breaker.state).toBe('closed');
  });
});

describe('manual control, fallback, permits', () => {
  it('isolate() refuses everything until reset(); reset() closes with an empty window', async () => {
    const { breaker, clock, states } = breakerAt();
    breaker.isolate();
    clock.t += 86_400_000;
    await expect(breaker.execute(ok)).rejects.toMatchObject({ state: 'open', retryAfterMs: Infinity });
    expect(breaker.snapshot()).toMatchObject({ isolated: true, state: 'open' });
    breaker.reset();
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(states).toEqual(['closed>open:manual', 'open>closed:manual']);
  });

  it('a fallback answers a refusal and a failure, and is told which', async () => {
    const { breaker } = breakerAt({ windowSize: 1, minimumCalls: 1 });
    const seen: unknown[] = [];
    const fallback = (error: unknown) => {
      seen.push(error);
      return 'cached';
    };
    await expect(breaker.execute(boom, { fallback })).resolves.toBe('cached');
    await expect(breaker.execute(ok, { fallback })).resolves.toBe('cached');
    expect(seen[0]).toMatchObject({ message: 'boom' });
    expect(isBrokenCircuitError(seen[1])).toBe(true);
  });

  it('permit(): the caller judges the outcome; settling twice counts once; refused permits throw', () => {
    const { breaker } = breakerAt({ windowSize: 2, minimumCalls: 2 });
    const first = breaker.permit();
    first.failure(new Error('5xx'));
    first.success();
    expect(breaker.snapshot()).toMatchObject({ calls: 1 });
    breaker.permit().failure();
    expect(breaker.state).toBe('open');
    expect(() => breaker.permit()).toThrow(BrokenCircuitError);
  });
});

describe('the success path', () => {
  it('arms no timer and reads no clock per call (count window, slow calls not judged)', async () => {
    vi.useFakeTimers();
    let reads = 0;
    const breaker = new CircuitBreaker({ registry: false, now: () => ++reads });
    for (let i = 0; i < 1_000; i++) await breaker.execute(ok);
    expect(vi.getTimerCount()).toBe(0);
    expect(reads).toBe(0);
    expect(breaker.snapshot().calls).toBe(100);
  });

  it('a call resolves with fn’s value, rejects with fn’s error, and the breaker has recorded it by then', async () => {
    const { breaker } = breakerAt({ windowSize: 1, minimumCalls: 1 });
    await expect(breaker.execute(async () => ({ n: 1 }))).resolves.toEqual({ n: 1 });
    const error = new Error('exact');
    await expect(breaker.execute(() => Promise.reject(error))).rejects.toBe(error);
    expect(breaker.state).toBe('open');
  });
});

describe('events and metrics', () => {
  it('events: success and failure carry durations; rejected carries the error; a throwing listener changes nothing', async () => {
    const { breaker, clock } = breakerAt({ windowSize: 2, minimumCalls: 2, failureRateThreshold: 100 });
    const seen: string[] = [];
    breaker.on('success', (e) => seen.push(`success ${e.durationMs}`));
    breaker.on('failure', (e) => seen.push(`failure ${e.durationMs} ${(e.outcome as { error: Error }).error.message}`));
    breaker.on('rejected', (e) => seen.push(`rejected ${e.error.state}`));
    breaker.on('success', () => {
      throw new Error('listener bug');
    });
    await breaker.execute(() => {
      clock.t += 5;
      return Promise.resolve(1);
    });
    await calls(breaker, 'F');
    await calls(breaker, 'F');
    await calls(breaker, 'S');
    expect(seen).toEqual(['success 5', 'failure 0 boom', 'failure 0 boom', 'rejected open']);
  });

  it('unsubscribing stops the events', async () => {
    const { breaker } = breakerAt();
    const seen: number[] = [];
    const off = breaker.on('success', () => seen.push(1));
    await breaker.execute(ok);
    off();
    await breaker.execute(ok);
    expect(seen).toEqual([1]);
  });

  it('metrics: a state gauge, calls by outcome, slow calls and transitions', async () => {
    const registry = new Registry();
    const clock = { t: 0 };
    const breaker = new CircuitBreaker({ name: 'payments', registry, now: () => clock.t, windowSize: 2, minimumCalls: 2, slowCallDurationMs: 10 });
    await breaker.execute(() => {
      clock.t += 11;
      return Promise.resolve(1);
    });
    await calls(breaker, 'FF');
    await calls(breaker, 'S');
    const text = await registry.metrics();
    expect(text).toContain('ward_circuit_breaker_calls_total{breaker="payments",outcome="success"} 1');
    expect(text).toContain('ward_circuit_breaker_calls_total{breaker="payments",outcome="failure"} 1');
    expect(text).toContain('ward_circuit_breaker_calls_total{breaker="payments",outcome="rejected"} 2');
    expect(text).toContain('ward_circuit_breaker_slow_calls_total{breaker="payments",outcome="success"} 1');
    expect(text).toContain('ward_circuit_breaker_transitions_total{breaker="payments",from="closed",to="open"} 1');
    expect(text).toContain('ward_circuit_breaker_state{breaker="payments",state="open"} 1');
    expect(text).toContain('ward_circuit_breaker_state{breaker="payments",state="closed"} 0');
  });
});

describe('configuration', () => {
  it.each<[string, Record<string, unknown>]>([
    ['unknown option', { failureThreshold: 5 }],
    ['threshold of 0', { failureRateThreshold: 0 }],
    ['threshold above 100', { slowCallRateThreshold: 101 }],
    ['fractional window', { windowSize: 2.5 }],
    ['bad window type', { window: 'sliding' }],
    ['more buckets than ms', { window: 'time', windowMs: 5, windowBuckets: 10 }],
    ['multiplier below 1', { openDurationMultiplier: 0.5 }],
    ['cap below the duration', { openDurationMs: 10_000, maxOpenDurationMs: 5_000 }],
    ['name with spaces', { name: 'my breaker' }],
    ['isFailure not a function', { isFailure: true }],
  ])('refuses %s when built', (_label, options) => {
    expect(() => new CircuitBreaker(options as CircuitBreakerOptions)).toThrow(/CircuitBreaker/);
  });

  it('the defaults are resilience4j’s (slow calls excepted: judged only when slowCallDurationMs is set)', async () => {
    const { breaker } = breakerAt();
    await calls(breaker, 'F'.repeat(99));
    expect(breaker.state).toBe('closed'); // minimumCalls 100
    await calls(breaker, 'F');
    expect(breaker.snapshot()).toMatchObject({ state: 'open', retryAfterMs: 60_000 });
  });
});

// The state union is what `state` says.
const _states: CircuitState[] = ['closed', 'open', 'half-open'];
void _states;
