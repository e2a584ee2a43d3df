/**
 * timeout()'s configuration (checked at factory time, naming the option),
 * its description for chain audits, the factory guard, `remainingMs()` and
 * the `TimeoutError` type and brand guard.
 */
import { compose, describeMiddleware, isWardError, WardError } from '@ward/core';
import { isTimeoutError, MAX_TIMEOUT_MS, remainingMs, TIMEOUT_CODE, TimeoutError, timeout, type TimeoutOptions } from '@ward/timeout';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

const registry = new Registry();

describe('timeout(options)', () => {
  it('accepts a number of milliseconds or an options object', () => {
    expect(describeMiddleware(timeout(250))).toEqual({
      name: 'timeout',
      options: { timeoutMs: 250, status: 503, registry: '[Registry]', prefix: 'ward_' },
    });
    const now = (): number => 0;
    expect(describeMiddleware(timeout({ timeoutMs: 1_000, status: 504, retryAfterSec: 0, registry, prefix: 'acme_', now }))).toEqual({
      name: 'timeout',
      options: { timeoutMs: 1_000, status: 504, retryAfterSec: 0, registry: '[Registry]', prefix: 'acme_', now: '[function now]' },
    });
    expect(timeout(MAX_TIMEOUT_MS).name).toBe('timeout');
  });

  it('registers ward_timeout_expired_total, shared by every timeout() on a registry', async () => {
    const own = new Registry();
    timeout({ timeoutMs: 1, registry: own });
    timeout({ timeoutMs: 2, registry: own });
    const metric = own.getSingleMetric('ward_timeout_expired_total');
    expect(metric).toBeDefined();
    expect((await metric!.get()).type).toBe('counter');
    expect(own.getMetricsAsArray().map((m) => m.name)).toEqual(['ward_timeout_expired_total']);
  });

  it('is refused when registered without its call', () => {
    expect(() => compose([timeout as never])).toThrow('is the factory "timeout", not a middleware. Call it: timeout({ … })');
  });

  it('requires timeoutMs', () => {
    expect(() => timeout({} as TimeoutOptions)).toThrow(new TypeError('timeout({ timeoutMs }) is required: the budget in milliseconds, e.g. 5_000'));
  });

  it.each([
    ['a string', '100', TypeError, 'timeout({ timeoutMs }) must be a number of milliseconds, e.g. 5_000, got "100"'],
    ['a bigint', 100n, TypeError, 'timeout({ timeoutMs }) must be a number of milliseconds, e.g. 5_000, got 100n'],
    ['null', null, TypeError, 'timeout({ timeoutMs }) must be a number of milliseconds, e.g. 5_000, got null'],
    ['0', 0, RangeError, 'timeout({ timeoutMs }) must be an integer from 1 to 2147483647 (milliseconds, e.g. 5_000), got 0'],
    ['-1', -1, RangeError, 'timeout({ timeoutMs }) must be an integer from 1 to 2147483647 (milliseconds, e.g. 5_000), got -1'],
    ['1.5', 1.5, RangeError, 'timeout({ timeoutMs }) must be an integer from 1 to 2147483647 (milliseconds, e.g. 5_000), got 1.5'],
    ['NaN', Number.NaN, RangeError, 'timeout({ timeoutMs }) must be an integer from 1 to 2147483647 (milliseconds, e.g. 5_000), got NaN'],
    ['Infinity', Infinity, RangeError, 'timeout({ timeoutMs }) must be an integer from 1 to 2147483647 (milliseconds, e.g. 5_000), got Infinity'],
    ['2^31 (node would fire it after 1 ms)', 2 ** 31, RangeError, 'timeout({ timeoutMs }) must be an integer from 1 to 2147483647 (milliseconds, e.g. 5_000), got 2147483648'],
  ])('security: refuses timeoutMs = %s', (_label, value, type, message) => {
    expect(() => timeout({ timeoutMs: value as number })).toThrow(new type(message));
    if (typeof value === 'number') expect(() => timeout(value)).toThrow(type);
  });

  it.each([
    [408, RangeError, 'timeout({ status }) must be 503 (Service Unavailable) or 504 (Gateway Timeout), got 408 (408 means the client was too slow to send its request, RFC 9110 §15.5.9)'],
    [500, RangeError, 'timeout({ status }) must be 503 (Service Unavailable) or 504 (Gateway Timeout), got 500'],
    ['503', TypeError, 'timeout({ status }) must be the number 503 or 504, got "503"'],
  ])('refuses status %s', (status, type, message) => {
    expect(() => timeout({ timeoutMs: 1, status: status as 503 })).toThrow(new type(message));
  });

  it.each([
    [-1, RangeError, 'timeout({ retryAfterSec }) must be an integer from 0 to 2147483647 (seconds, e.g. 5), got -1'],
    [1.5, RangeError, 'timeout({ retryAfterSec }) must be an integer from 0 to 2147483647 (seconds, e.g. 5), got 1.5'],
    ['5', TypeError, 'timeout({ retryAfterSec }) must be a number of seconds, e.g. 5, got "5"'],
  ])('refuses retryAfterSec %s', (value, type, message) => {
    expect(() => timeout({ timeoutMs: 1, retryAfterSec: value as number })).toThrow(new type(message));
  });

  it('refuses a misspelt option with the name it probably meant, instead of ignoring it', () => {
    expect(() => timeout({ timeoutMs: 1, retryAfter: 5 } as TimeoutOptions)).toThrow(
      new TypeError(
        'timeout({ retryAfter }) is not an option; did you mean retryAfterSec? Options: timeoutMs, status, retryAfterSec, now, timers, registry, prefix',
      ),
    );
    expect(() => timeout({ timeout: 5_000 } as unknown as TimeoutOptions)).toThrow('did you mean timeoutMs?');
    expect(() => timeout({ timeoutMs: 1, constructor: 1 } as unknown as TimeoutOptions)).toThrow(
      'timeout({ constructor }) is not an option. Options:',
    );
  });

  it('refuses bad now, timers, registry and prefix', () => {
    expect(() => timeout({ timeoutMs: 1, now: 5 as unknown as () => number })).toThrow(
      new TypeError('timeout({ now }) must be a function returning epoch milliseconds, like Date.now, got 5'),
    );
    expect(() => timeout({ timeoutMs: 1, timers: { setTimeout: () => 0 } as never })).toThrow(
      new TypeError('timeout({ timers }) must be an object with setTimeout(callback, ms) and clearTimeout(handle), got an object'),
    );
    expect(() => timeout({ timeoutMs: 1, registry: {} as never })).toThrow(
      new TypeError('timeout({ registry }) must be a prom-client Registry (new Registry() or the global register), got an object'),
    );
    expect(() => timeout({ timeoutMs: 1, prefix: 'bad-prefix' })).toThrow(/^timeout\(\{ prefix \}\) must match/);
  });

  it.each([
    ['null', null],
    ['a string', '5s'],
    ['an array', [5_000]],
  ])('security: refuses %s as the options', (_label, value) => {
    expect(() => timeout(value as never)).toThrow(TypeError);
  });
});

describe('remainingMs(ctx)', () => {
  it('is what is left before ctx.state.deadline: 0 once passed, Infinity without a deadline', () => {
    expect(remainingMs({ state: { deadline: 1_500 } }, () => 1_000)).toBe(500);
    expect(remainingMs({ state: { deadline: 1_000 } }, () => 1_000)).toBe(0);
    expect(remainingMs({ state: { deadline: 900 } }, () => 1_000)).toBe(0);
    expect(remainingMs({ state: {} }, () => 1_000)).toBe(Infinity);
    const soon = Date.now() + 60_000;
    const left = remainingMs({ state: { deadline: soon } });
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(60_000);
  });
});

describe('TimeoutError', () => {
  it('is a WardError with code TIMEOUT, the name of AbortSignal.timeout()’s reason, and its budget', () => {
    const error = new TimeoutError(5_000, 1_700_000_005_000);
    expect(error).toBeInstanceOf(WardError);
    expect(isWardError(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'TimeoutError',
      code: TIMEOUT_CODE,
      timeoutMs: 5_000,
      deadline: 1_700_000_005_000,
      message: 'The request did not complete within its 5000 ms deadline',
    });
    expect(TIMEOUT_CODE).toBe('TIMEOUT');
  });

  it('is recognised by its brand, also from another copy of the package, and nothing else is', () => {
    expect(isTimeoutError(new TimeoutError(1, 1))).toBe(true);
    expect(isTimeoutError({ [Symbol.for('ward.timeout-error')]: true })).toBe(true);
    expect(isTimeoutError(new DOMException('The operation timed out.', 'TimeoutError'))).toBe(false);
    expect(isTimeoutError(Object.assign(new Error('x'), { name: 'TimeoutError', code: 'TIMEOUT' }))).toBe(false);
    expect(isTimeoutError(null)).toBe(false);
    expect(isTimeoutError('TimeoutError')).toBe(false);
  });
});
