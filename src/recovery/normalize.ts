/**
 * Turning whatever was thrown into something safe to answer and report.
 *
 * JavaScript can throw anything: strings, `null`, `undefined`, Symbols,
 * frozen objects, objects whose getters or `toString` throw, Proxies whose
 * every trap throws. Recovery must never crash on them (STANDARDS §8a, Echo's
 * `fmt.Errorf("%v", r)`), so every read of a thrown value here happens inside
 * `try`, and non-Errors become a {@link ThrownValueError} that keeps the
 * original value as `cause`.
 */
import { conventionalHttpError, type HttpError, isHttpError } from '@ward/core';

const THROWN_VALUE = Symbol.for('ward.recovery.thrown-value');

/** Longest message kept from a thrown string or an object's `message`, in characters. */
const MAX_MESSAGE_CHARS = 1000;

/**
 * What recovery reports when something that is not an `Error` was thrown
 * (`throw 'boom'`, `throw null`, `Promise.reject()`): a real Error whose
 * `cause` is the value thrown, and whose message describes it.
 *
 * @example
 * const error = new ThrownValueError('boom');
 * error.message; // 'Non-error value thrown: "boom"'
 * error.cause;   // 'boom'
 */
export class ThrownValueError extends Error {
  override name = 'ThrownValueError';
  /** Stable machine code. */
  readonly code = 'NON_ERROR_THROWN';
  /** Brand, so the check survives duplicate copies of this package. */
  readonly [THROWN_VALUE] = true;

  constructor(value: unknown) {
    super(`Non-error value thrown: ${describeThrown(value)}`, { cause: value });
  }
}

/** The facts a report needs from an error, read once and safely. */
export interface ErrorFacts {
  name: string;
  message: string;
  /** Capped at `maxStackChars`; undefined when there is none (or none worth showing). */
  stack: string | undefined;
}

/**
 * True for a real Error (also from another realm), read without letting a
 * hostile value throw.
 */
export function isErrorValue(value: unknown): value is Error {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
  } catch {
    // A Proxy whose getPrototypeOf or Symbol.toStringTag trap throws: not an Error we can trust.
    return false;
  }
}

/**
 * The thrown value as an Error: itself when it is one, else a
 * {@link ThrownValueError} wrapping it.
 *
 * @example
 * toError(new TypeError('x')); // the same TypeError
 * toError(null).message;        // 'Non-error value thrown: null'
 */
export function toError(value: unknown): Error {
  return isErrorValue(value) ? value : new ThrownValueError(value);
}

/**
 * The value as a usable `HttpError`: a branded one (any copy of
 * `@ward/core`) whose status is an integer from 400 to 599, so a forged brand
 * cannot make the answer itself fail; or an `Error` carrying such a status by
 * the http-errors convention, as a new `HttpError` with it as `cause`.
 */
export function asHttpError(value: unknown): HttpError | undefined {
  try {
    if (!isHttpError(value)) {
      // An Error of the framework or a library with an http-errors status
      // (body-parser's 400/413, Fastify's FST_ERR_*): that status, not a 500.
      return conventionalHttpError(value);
    }
    const status = value.status;
    return Number.isInteger(status) && status >= 400 && status <= 599 && typeof value.code === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A property of a thrown value, or undefined when reading it throws. */
export function readProperty(value: unknown, key: string | symbol): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined;
  try {
    return (value as Record<string | symbol, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * Name, message and capped stack of an error, each read in its own `try`
 * (an Error subclass may have a throwing `message` or `stack` getter).
 *
 * @param maxStackChars characters of stack kept; 0 keeps none.
 */
export function errorFacts(error: Error, maxStackChars: number): ErrorFacts {
  const name = readString(error, 'name') ?? 'Error';
  const message = readString(error, 'message') ?? '';
  let stack: string | undefined;
  // A ThrownValueError's stack points into recovery, not at the throw: useless, so left out.
  if (maxStackChars > 0 && readProperty(error, THROWN_VALUE) !== true) {
    const full = readString(error, 'stack');
    if (full !== undefined) stack = full.length > maxStackChars ? `${full.slice(0, maxStackChars)}…` : full;
  }
  return { name, message, stack };
}

/** A short, safe description of any thrown value, for a message. Never throws. */
export function describeThrown(value: unknown): string {
  try {
    switch (typeof value) {
      case 'string':
        return JSON.stringify(cap(value));
      case 'undefined':
        return 'undefined';
      case 'number':
      case 'boolean':
        return String(value);
      case 'bigint':
        return `${value}n`;
      case 'symbol':
        return cap(Symbol.prototype.toString.call(value));
      case 'function':
        return `[function ${cap(readString(value, 'name') || 'anonymous')}]`;
    }
    if (value === null) return 'null';
    const message = readString(value, 'message');
    const kind = constructorName(value as object);
    return message === undefined ? `[object ${kind}]` : `[object ${kind}] with message ${JSON.stringify(cap(message))}`;
  } catch {
    return '[unreadable value]';
  }
}

function constructorName(value: object): string {
  try {
    const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
    if (proto === null) return 'null-prototype';
    const name = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as { name?: unknown } | undefined;
    const text = typeof name?.name === 'string' ? name.name : '';
    return text === '' ? 'Object' : cap(text);
  } catch {
    return 'Object';
  }
}

function readString(value: unknown, key: string): string | undefined {
  const read = readProperty(value, key);
  return typeof read === 'string' ? read : undefined;
}

function cap(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}
