/**
 * Rule 10: every middleware carries its name and a JSON-safe, redacted
 * description of its options, so a chain can be printed and audited.
 */
import type { Context, Middleware } from './types.js';

const META = Symbol.for('ward.middleware');
const FACTORY = Symbol.for('ward.factory');

/** What {@link describeMiddleware} returns for one middleware. */
export interface MiddlewareDescription {
  name: string;
  /** Options as configured, JSON-safe, secrets replaced by `[redacted]`. */
  options: Readonly<Record<string, unknown>>;
}

/** What replaces a secret in descriptions, reports and logs. */
export const REDACTED = '[redacted]';

/**
 * Request/response headers whose values no ward package ever writes to a
 * log, report or description (lower-case): credentials and session tokens.
 * Packages add their own configured names to this list; nothing removes
 * from it.
 */
export const SENSITIVE_HEADERS: readonly string[] = Object.freeze([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-auth-token',
]);

/** Option names whose values never appear in a description. */
const SECRET_KEY = /secret|password|passphrase|token|api[-_]?key|access[-_]?key|private|credential|authorization|cookie|^key$|signing[-_]?key/i;

/**
 * Names a middleware and attaches its redacted description. Returns the same
 * function.
 *
 * @example
 * return defineMiddleware('rateLimit', options, async function rateLimit(ctx, next) { … });
 */
export function defineMiddleware<C extends Context, M extends Middleware<C>>(name: string, options: object, fn: M): M {
  if (typeof fn !== 'function') throw new TypeError(`defineMiddleware(${name}): expected a function, got ${typeof fn}`);
  Object.defineProperty(fn, META, {
    value: Object.freeze({ name, options: redact(options) as Record<string, unknown> }),
    enumerable: false,
  });
  return fn;
}

/**
 * Marks a middleware factory, so that registering it without calling it
 * (`app.use(rateLimit)`) fails at start with a message naming the fix.
 */
export function markFactory<F extends (...args: never[]) => Middleware<never>>(factory: F): F {
  Object.defineProperty(factory, FACTORY, { value: true, enumerable: false });
  return factory;
}

/** The name and options of a middleware; plain functions describe themselves by name. */
export function describeMiddleware(fn: Middleware<never>): MiddlewareDescription {
  const meta = (fn as unknown as Record<symbol, MiddlewareDescription | undefined>)[META];
  return meta ?? { name: fn.name || 'anonymous', options: {} };
}

/** Descriptions of a whole chain, in order. */
export function describeChain(chain: readonly Middleware<never>[]): MiddlewareDescription[] {
  return chain.map((fn) => describeMiddleware(fn));
}

/** Throws a TypeError naming the mistake when `value` is not usable as middleware. */
export function assertMiddleware(value: unknown, where: string): asserts value is Middleware<never> {
  if (typeof value !== 'function') {
    throw new TypeError(`${where} must be a middleware function (ctx, next), got ${value === null ? 'null' : typeof value}`);
  }
  if ((value as unknown as Record<symbol, unknown>)[FACTORY] === true) {
    throw new TypeError(
      `${where} is the factory "${value.name}", not a middleware. Call it: ${value.name}({ … })`,
    );
  }
}

/**
 * A JSON-safe copy of an options object: secrets redacted, functions named,
 * RegExps as their source, clients and class instances by constructor name,
 * cycles cut.
 */
export function redact(value: unknown, key = '', seen = new WeakSet<object>()): unknown {
  // A boolean is a switch, never a secret (`credentials: true` stays auditable).
  if (key !== '' && typeof value !== 'boolean' && value !== undefined && SECRET_KEY.test(key)) return REDACTED;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return undefined;
    case 'symbol':
      return value.toString();
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
  }
  if (value === null) return null;
  const object = value as object;
  if (seen.has(object)) return '[circular]';
  if (object instanceof RegExp) return object.toString();
  if (object instanceof Date) return object.toISOString();
  if (object instanceof URL) return object.href;
  if (Array.isArray(object)) {
    seen.add(object);
    const items = object.map((item) => redact(item, '', seen));
    // `seen` holds the current path only: an object met twice side by side is not a cycle.
    seen.delete(object);
    return items;
  }
  const proto = Object.getPrototypeOf(object) as object | null;
  if (proto !== null && proto !== Object.prototype) {
    return `[${(object.constructor as { name?: string } | undefined)?.name ?? 'object'}]`;
  }
  seen.add(object);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(object)) {
    const copy = redact(v, k, seen);
    if (copy !== undefined) out[k] = copy;
  }
  seen.delete(object);
  return out;
}
