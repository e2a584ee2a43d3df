/**
 * `callAsync()`: for middleware written as plain functions rather than
 * `async` ones (so the common path returns the downstream's own promise,
 * with no extra promise layer), the one guarantee an async function gives
 * for free: a synchronous throw becomes a rejected promise, never an
 * exception out of the middleware.
 */

/**
 * Calls `step(a, b)` and returns its result as a promise (a native promise
 * it returns is passed through as it is); a synchronous throw is returned
 * as a rejection.
 *
 * @example
 * return defineMiddleware('cors', described, function cors(ctx, next) {
 *   return callAsync(handle, ctx, next);
 * });
 */
export function callAsync<A, B, R>(step: (a: A, b: B) => R | Promise<R>, a: A, b: B): Promise<R> {
  try {
    return Promise.resolve(step(a, b));
  } catch (error) {
    return Promise.reject(error);
  }
}
