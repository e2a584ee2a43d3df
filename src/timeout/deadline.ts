/**
 * Deadline propagation: `ctx.state.deadline` (epoch milliseconds) and
 * `remainingMs(ctx)`, so code running inside a request can pass what is
 * left of its budget on to the calls it makes.
 */
import type { Context } from '@ward/core';

declare module '@ward/core' {
  interface WardState {
    /**
     * When the request's budget runs out, in epoch milliseconds (`Date.now()`
     * scale). Set by `@ward/timeout` before `next()`; an inner `timeout()`
     * only ever makes it earlier. Undefined when no deadline applies.
     */
    deadline?: number;
  }
}

/**
 * Milliseconds left before `ctx.state.deadline`: `0` once it has passed,
 * `Infinity` when the request has no deadline. Pass it on to outbound calls
 * (a `timeout` option, an `X-Request-Timeout` or `grpc-timeout` header) so
 * they give up when the request has.
 *
 * @param now clock in epoch milliseconds; the one given to `timeout({ now })`, if any. Default: `Date.now`.
 * @example
 * engine.get('/quote', timeout(2_000), async (ctx) => {
 *   const res = await fetch(PRICING_URL, {
 *     signal: ctx.signal, // aborts with TimeoutError at the deadline
 *     headers: { 'x-request-timeout': String(remainingMs(ctx)) },
 *   });
 *   ctx.json(200, await res.json());
 * });
 */
export function remainingMs(ctx: Pick<Context, 'state'>, now?: () => number): number {
  const deadline = ctx.state.deadline;
  if (deadline === undefined) return Infinity;
  const left = deadline - (now === undefined ? Date.now() : now());
  return left > 0 ? left : 0;
}
