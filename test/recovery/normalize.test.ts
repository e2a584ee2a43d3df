/**
 * Turning any thrown value into something safe to answer and report: the
 * description of every kind of value, Errors kept as they are (also from
 * another realm), forged HttpError brands refused, and error facts read
 * without letting hostile getters throw.
 */
import { runInNewContext } from 'node:vm';
import { HttpError } from '@ward/core';
import { describe, expect, it } from 'vitest';
import { ThrownValueError, asHttpError, describeThrown, errorFacts, isErrorValue, toError } from '../../src/recovery/normalize.js';

const throwing = (what: string) => () => {
  throw new Error(what);
};

describe('describeThrown', () => {
  class Custom {}
  it.each<[string, unknown, string]>([
    ['a string', 'boom', '"boom"'],
    ['a string with quotes and a newline', 'a "b"\nc', '"a \\"b\\"\\nc"'],
    ['a huge string (capped at 1000 characters)', 'x'.repeat(5000), `"${'x'.repeat(1000)}…"`],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a number', -0.5, '-0.5'],
    ['NaN', Number.NaN, 'NaN'],
    ['a boolean', false, 'false'],
    ['a bigint', 12n, '12n'],
    ['a symbol', Symbol('s'), 'Symbol(s)'],
    ['a symbol without description', Symbol(), 'Symbol()'],
    ['a named function', function named() {}, '[function named]'],
    ['an arrow function', () => {}, '[function anonymous]'],
    ['a plain object', { a: 1 }, '[object Object]'],
    ['an object with a message', { message: 'hi' }, '[object Object] with message "hi"'],
    ['a class instance', new Custom(), '[object Custom]'],
    ['a null-prototype object', Object.create(null), '[object null-prototype]'],
    ['a frozen array', Object.freeze([1, 2]), '[object Array]'],
    ['an object whose message getter throws', { get message() { return throwing('getter')(); } }, '[object Object]'],
    ['a Proxy whose every trap throws', new Proxy({}, { get: throwing('get'), getPrototypeOf: throwing('proto'), getOwnPropertyDescriptor: throwing('desc') }), '[object Object]'],
    ['an object whose constructor name getter throws', Object.create({ constructor: { get name() { return throwing('name')(); } } }), '[object Object]'],
  ])('%s', (_what, value, expected) => {
    expect(describeThrown(value)).toBe(expected);
  });
});

describe('toError and isErrorValue', () => {
  it('keeps an Error as it is, also one from another realm', () => {
    const error = new TypeError('t');
    expect(toError(error)).toBe(error);
    const foreign = runInNewContext('new RangeError("elsewhere")') as Error;
    expect(foreign instanceof Error).toBe(false);
    expect(isErrorValue(foreign)).toBe(true);
    expect(toError(foreign)).toBe(foreign);
  });

  it('wraps anything else in a ThrownValueError that keeps the value as cause', () => {
    const value = { code: 'E_WEIRD' };
    const error = toError(value);
    expect(error).toBeInstanceOf(ThrownValueError);
    expect(error).toMatchObject({ name: 'ThrownValueError', code: 'NON_ERROR_THROWN', message: 'Non-error value thrown: [object Object]' });
    expect(error.cause).toBe(value);
  });

  it('a Proxy whose getPrototypeOf trap throws is not taken for an Error', () => {
    const proxy = new Proxy(new Error('x'), { getPrototypeOf: throwing('proto'), get: throwing('get') });
    expect(isErrorValue(proxy)).toBe(false);
    expect(toError(proxy)).toBeInstanceOf(ThrownValueError);
  });
});

describe('asHttpError', () => {
  it('keeps a real HttpError', () => {
    const error = new HttpError(429, { code: 'RATE_LIMITED' });
    expect(asHttpError(error)).toBe(error);
  });

  it.each<[string, unknown]>([
    ['a forged brand with a string status', { [Symbol.for('ward.http-error')]: true, status: '500', code: 'X' }],
    ['a forged brand with status 200', { [Symbol.for('ward.http-error')]: true, status: 200, code: 'X' }],
    ['a forged brand with status 600', { [Symbol.for('ward.http-error')]: true, status: 600, code: 'X' }],
    ['a forged brand without a code', { [Symbol.for('ward.http-error')]: true, status: 500 }],
    ['a forged brand whose status getter throws', { [Symbol.for('ward.http-error')]: true, get status() { return throwing('status')(); } }],
    ['a Proxy whose get trap throws', new Proxy({}, { get: throwing('get') })],
    ['a plain Error', new Error('x')],
    ['null', null],
  ])('refuses %s', (_what, value) => {
    expect(asHttpError(value)).toBeUndefined();
  });
});

describe('errorFacts', () => {
  it('reads name, message and the stack capped at maxStackChars', () => {
    const error = new SyntaxError('bad');
    error.stack = 'SyntaxError: bad\n    at a\n    at b';
    expect(errorFacts(error, 100)).toEqual({ name: 'SyntaxError', message: 'bad', stack: 'SyntaxError: bad\n    at a\n    at b' });
    expect(errorFacts(error, 16)).toEqual({ name: 'SyntaxError', message: 'bad', stack: 'SyntaxError: bad…' });
    expect(errorFacts(error, 0)).toEqual({ name: 'SyntaxError', message: 'bad', stack: undefined });
  });

  it('survives getters that throw and non-string fields', () => {
    const error = new Error('x');
    Object.defineProperty(error, 'stack', { get: throwing('stack') });
    Object.defineProperty(error, 'message', { get: throwing('message') });
    Object.defineProperty(error, 'name', { value: 42 });
    expect(errorFacts(error, 100)).toEqual({ name: 'Error', message: '', stack: undefined });
  });

  it('leaves out the stack of a ThrownValueError (it would point into recovery, not at the throw)', () => {
    expect(errorFacts(new ThrownValueError('s'), 4096)).toEqual({ name: 'ThrownValueError', message: 'Non-error value thrown: "s"', stack: undefined });
  });
});
