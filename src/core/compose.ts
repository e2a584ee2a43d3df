/**
 * Onion composition (koa-compose semantics): `m1 before → m2 before → … →
 * m2 after → m1 after`. A second `next()` from the same middleware rejects,
 * in production too. Not calling `next()` ends the chain. A `next()` called
 * once `ctx.signal` has aborted resolves at once without running the rest.
 */
import { assertMiddleware } from './metadata.js';
import type { Context, Middleware, Next } from './types.js';

/** A composed chain: a middleware whose `next` is what runs after the last one. */
export type ComposedMiddleware<C extends Context = Context> = (ctx: C, next?: Next) => Promise<void>;

const resolved: Next = () => Promise.resolve();

/** Raised when a middleware calls `next()` twice. */
export class NextCalledTwiceError extends Error {
  override readonly name = 'NextCalledTwiceError';
  readonly code = 'NEXT_CALLED_TWICE';
  constructor(middlewareName: string) {
    super(`next() called more than once by middleware "${middlewareName || 'anonymous'}"`);
  }
}

/**
 * Composes middleware into one. Validates the list at composition time, so a
 * factory passed without its call (`use(rateLimit)`) fails fast.
 *
 * @example
 * const chain = compose([requestId(), rateLimit({ ... })]);
 * await chain(ctx, async () => { ctx.json(200, { ok: true }); });
 */
export function compose<C extends Context = Context>(middleware: readonly Middleware<C>[]): ComposedMiddleware<C> {
  if (!Array.isArray(middleware)) {
    throw new TypeError(`compose(middleware) expects an array of middleware, got ${typeof middleware}`);
  }
  middleware.forEach((fn, i) => assertMiddleware(fn, `middleware[${i}]`));
  const stack = middleware.slice();
  const length = stack.length;

  return function composed(ctx: C, last: Next = resolved): Promise<void> {
    let index = -1;
    function dispatch(i: number): Promise<void> {
      if (i <= index) {
        return Promise.reject(new NextCalledTwiceError(stack[i - 1]?.name ?? ''));
      }
      index = i;
      // A next() after the request's signal aborted (the deadline's answer is
      // out, or the client left) — say, once a slow origin check resolves —
      // runs nothing: the downstream's side effects would be for nobody.
      if (i > 0 && (ctx.signal as AbortSignal | undefined)?.aborted === true) return Promise.resolve();
      if (i === length) return last();
      const fn = stack[i]!;
      try {
        return Promise.resolve(fn(ctx, () => dispatch(i + 1)));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return dispatch(0);
  };
}
