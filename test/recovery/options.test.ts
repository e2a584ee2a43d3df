/**
 * Configuration errors of recovery(), jsonReporter() and
 * installProcessGuard(): thrown at configuration time, TypeError for a wrong
 * type and RangeError for a bad value, naming the option and the value.
 * (installProcessGuard validates before touching the process, so these run
 * in the test process; its behaviour is tested in child processes.)
 */
import { installProcessGuard, jsonReporter, recovery, type RecoveryOptions } from '@ward/recovery';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

const fresh = (options: RecoveryOptions): RecoveryOptions => ({ registry: new Registry(), ...options });

describe('recovery(options)', () => {
  it.each([
    ['a string', 'x', TypeError, 'recovery(options): options must be an object, got "x"'],
    ['null', null, TypeError, 'recovery(options): options must be an object, got null'],
    ['an array', [], TypeError, 'recovery(options): options must be an object, got an array'],
  ])('refuses options that are %s', (_what, options, type, message) => {
    expect(() => recovery(options as unknown as RecoveryOptions)).toThrow(type);
    expect(() => recovery(options as unknown as RecoveryOptions)).toThrow(message);
  });

  it.each<[string, RecoveryOptions, ErrorConstructor, string]>([
    ['onError: 5', { onError: 5 as never }, TypeError, 'recovery({ onError }) must be a function (report) => void, or an array of them (use [] for no reporting), got number'],
    ['onError: [fn, null]', { onError: [() => {}, null as never] }, TypeError, 'recovery({ onError })[1] must be a function (report) => void, or an array of them (use [] for no reporting), got null'],
    ['shouldReport: "yes"', { shouldReport: 'yes' as never }, TypeError, 'recovery({ shouldReport }) must be a function (error, ctx) => boolean, got "yes"'],
    ['redactHeaders: "authorization"', { redactHeaders: 'authorization' as never }, TypeError, `recovery({ redactHeaders }) must be an array of header names such as ['x-session-token'], got "authorization"`],
    ['redactHeaders: ["bad header"]', { redactHeaders: ['bad header'] }, RangeError, `recovery({ redactHeaders }): "bad header" is not a header name; use names such as 'x-session-token'`],
    ['redactHeaders: ["x\\r\\ny"]', { redactHeaders: ['x\r\ny'] }, RangeError, `recovery({ redactHeaders }): "x\\r\\ny" is not a header name`],
    ['redactHeaders: [42]', { redactHeaders: [42 as never] }, RangeError, 'recovery({ redactHeaders }): 42 is not a header name'],
    ['userId: {}', { userId: {} as never }, TypeError, 'recovery({ userId }) must be a function (ctx) => string | undefined, got object'],
    ['maxStackChars: "10"', { maxStackChars: '10' as never }, TypeError, 'recovery({ maxStackChars }) must be a number of characters, got "10"'],
    ['maxStackChars: -1', { maxStackChars: -1 }, RangeError, 'recovery({ maxStackChars }) must be an integer ≥ 0 (0 keeps no stack), got -1'],
    ['maxStackChars: 1.5', { maxStackChars: 1.5 }, RangeError, 'got 1.5'],
    ['maxStackChars: NaN', { maxStackChars: Number.NaN }, RangeError, 'got NaN'],
    ['maxStackChars: Infinity', { maxStackChars: Number.POSITIVE_INFINITY }, RangeError, 'got Infinity'],
    ['now: 5', { now: 5 as never }, TypeError, 'recovery({ now }) must be a function returning milliseconds since the epoch, got 5'],
    ['registry: {}', { registry: {} as never }, TypeError, 'recovery({ registry }) must be a prom-client Registry'],
    ['prefix: "bad-prefix"', { prefix: 'bad-prefix' }, RangeError, 'recovery({ prefix }) must match'],
    ['prefix: 7', { prefix: 7 as never }, TypeError, "recovery({ prefix }) must be a string such as 'ward_', got 7"],
  ])('refuses %s', (_what, options, type, message) => {
    expect(() => recovery(fresh(options))).toThrow(type);
    expect(() => recovery(fresh(options))).toThrow(message);
  });

  it('accepts no options, and every option at its edge', () => {
    expect(typeof recovery()).toBe('function');
    expect(typeof recovery(fresh({ onError: [], maxStackChars: 0, redactHeaders: [], prefix: '' }))).toBe('function');
  });
});

describe('jsonReporter(logger)', () => {
  it.each([
    ['null', null, 'got null'],
    ['an object without error()', { info() {} }, 'got object'],
    ['a string', 'stderr', 'got string'],
  ])('refuses %s', (_what, logger, message) => {
    expect(() => jsonReporter(logger as never)).toThrow(TypeError);
    expect(() => jsonReporter(logger as never)).toThrow(`jsonReporter(logger): logger must have an error(object, message) method (pino, console), ${message}`);
  });
});

describe('installProcessGuard(options)', () => {
  it.each<[string, unknown, ErrorConstructor, string]>([
    ['options: "x"', 'x', TypeError, 'installProcessGuard(options): options must be an object, got "x"'],
    ['onError: 1', { onError: 1 }, TypeError, 'installProcessGuard({ onError }) must be a function (report) => void'],
    ['exitOnUncaughtException: "yes"', { exitOnUncaughtException: 'yes' }, TypeError, 'installProcessGuard({ exitOnUncaughtException }) must be a boolean, got "yes"'],
    ['exitOnUnhandledRejection: 0', { exitOnUnhandledRejection: 0 }, TypeError, 'installProcessGuard({ exitOnUnhandledRejection }) must be a boolean, got 0'],
    ['exitCode: 256', { exitCode: 256 }, RangeError, 'installProcessGuard({ exitCode }) must be an integer from 0 to 255, got 256'],
    ['exitCode: "1"', { exitCode: '1' }, TypeError, 'installProcessGuard({ exitCode }) must be a number, got "1"'],
    ['flushTimeoutMs: -1', { flushTimeoutMs: -1 }, RangeError, 'installProcessGuard({ flushTimeoutMs }) must be an integer from 0 to 2147483647, got -1'],
    ['flushTimeoutMs: Infinity', { flushTimeoutMs: Number.POSITIVE_INFINITY }, RangeError, 'got Infinity'],
    ['maxStackChars: 0.5', { maxStackChars: 0.5 }, RangeError, 'installProcessGuard({ maxStackChars }) must be an integer'],
    ['now: "today"', { now: 'today' }, TypeError, 'installProcessGuard({ now }) must be a function returning milliseconds since the epoch, got "today"'],
  ])('refuses %s before installing anything', (_what, options, type, message) => {
    const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    expect(() => installProcessGuard(options as never)).toThrow(type);
    expect(() => installProcessGuard(options as never)).toThrow(message);
    expect([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]).toEqual(before);
  });
});
