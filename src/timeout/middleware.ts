/**
 * `timeout()`: a deadline for everything downstream of the middleware.
 *
 * Per request: one small record, one promise, a place in the queue of the
 * middleware's single timer (queue.ts) and the middleware's one shared
 * `close` listener (no closure per request). When the downstream settles in
 * time the record leaves the queue and nothing else happens.
 * When the deadline passes first, the middleware answers 503/504
 * problem+json and resolves at once, without waiting for the handler (the
 * adapter writes the answer and drops whatever the handler writes later,
 * DESIGN.md rule 4); once that answer is on the wire, `ctx.signal` aborts
 * with a `TimeoutError`, so the handler's work is cancelled and not merely
 * raced (hono's `timeout` races and never aborts: the bug this avoids).
 */
import type { ServerResponse } from 'node:http';
import { type Context, defineMiddleware, HttpError, markFactory, type Middleware, type Next, problemInstead } from '@ward/core';
import { resolvePrefix, resolveRegistry, wardCounter } from '@ward/metrics';
import { TIMEOUT_CODE, TimeoutError } from './errors.js';
import { resolveTimeoutOptions, type TimeoutOptions } from './options.js';
import { DeadlineQueue } from './queue.js';
import { ENFORCED, fireRequest, type GuardedState, type HeldResponse, RequestDeadline, type Shared } from './request.js';

/** The title of every timeout answer (the problem type is `…:timeout`, whatever the status). */
export const TIMEOUT_TITLE = 'Response Timeout';

const COMMITTED = { committed: 'true' } as const;
const NOT_COMMITTED = { committed: 'false' } as const;

/**
 * A deadline for everything after this middleware in the chain. On expiry
 * it answers `503` (or `504`) `application/problem+json` with code `TIMEOUT`
 * (and `Retry-After` when `retryAfterSec` is set), resolves without waiting
 * for the handler — whatever the handler writes later is dropped — and,
 * once that answer is written, aborts `ctx.signal` with a
 * {@link TimeoutError}. A handler that finishes in time is untouched; a
 * response already streaming when the deadline passes is left alone. The
 * timer is cleared when the downstream finishes or fails, and when the
 * client goes away.
 *
 * `ctx.state.deadline` holds the deadline (epoch ms) for
 * {@link remainingMs}. Nested timeouts (a route's inside the app's): the
 * earlier deadline wins, answered by the timeout that set it.
 *
 * @param options {@link TimeoutOptions}, or the budget in milliseconds.
 * @throws TypeError for a wrong type or an unknown option; RangeError for a bad value.
 * @example
 * const engine = new Engine();
 * engine.use(timeout({ timeoutMs: 5_000, retryAfterSec: 2 })); // every request: 5 s
 * engine.get('/search', timeout(1_000), search);               // this route: 1 s (the earlier deadline wins)
 */
export function timeout(options: TimeoutOptions | number): Middleware {
  const resolved = resolveTimeoutOptions(options);
  const given: Partial<TimeoutOptions> = typeof options === 'number' ? {} : options;
  const registry = resolveRegistry(given.registry, 'timeout({ registry })');
  const prefix = resolvePrefix(given.prefix, 'timeout({ prefix })');
  const { timeoutMs, status, retryAfterSec, now, timers } = resolved;
  const expired = wardCounter(registry, {
    prefix,
    name: 'timeout_expired_total',
    help: 'Request deadlines that passed before the downstream finished; committed="false": answered with the timeout status, "true": already streaming, left alone.',
    labelNames: ['committed'] as const,
  });
  const shared: Shared = {
    queue: new DeadlineQueue(now, timers),
    timers,
    answer: new HttpError(status, {
      code: TIMEOUT_CODE,
      title: TIMEOUT_TITLE,
      detail: `The request did not complete within ${timeoutMs} ms`,
      headers: retryAfterSec === undefined ? undefined : { 'retry-after': String(retryAfterSec) },
    }),
    count: (committed) => expired.inc(committed ? COMMITTED : NOT_COMMITTED),
    slot: Symbol('ward.timeout.request'),
  };

  const slot = shared.slot;
  function onClose(this: ServerResponse): void {
    // Undefined once the request settled: nothing to do at close.
    (this as HeldResponse)[slot]?.close();
  }

  const described = { timeoutMs, status, retryAfterSec, registry, prefix, now: given.now, timers: given.timers };
  return defineMiddleware('timeout', described, function timeout(ctx: Context, next: Next): Promise<void> {
    const state = ctx.state as GuardedState;
    const start = now();
    const own = start + timeoutMs;
    let outer = state.deadline;
    if (typeof outer !== 'number' || !Number.isFinite(outer)) outer = undefined;
    const deadline = outer !== undefined && outer < own ? outer : own;
    const delay = deadline - start;
    if (delay <= 0) return expiredOnEntry(ctx, shared, deadline);
    const outerEnforced = state[ENFORCED];
    // An enclosing ward timeout already enforces an earlier (or equal) deadline: one timer is enough.
    if (outer !== undefined && outer <= own && outerEnforced === outer) return next();
    const res: ServerResponse = ctx.raw.res;
    // The client is already gone: nothing to answer, nothing to time.
    if (res.destroyed) return next();
    state.deadline = deadline;
    state[ENFORCED] = deadline;

    const settled = new Promise<void>(captureSettle);
    const resolve = capturedResolve!;
    const reject = capturedReject!;
    capturedResolve = capturedReject = undefined;
    // As inside a promise executor: whatever throws here rejects the middleware's promise.
    try {
      const run = new RequestDeadline(ctx, shared, resolve, reject, deadline, delay, outer, outerEnforced);
      if (deadline === own) shared.queue.add(run, delay);
      else run.timer = timers === undefined ? setTimeout(fireRequest, delay, run) : timers.setTimeout(() => run.fire(), delay);
      // One listener shared by every request of this timeout(): the request is found on the response.
      const held = res as HeldResponse;
      if (held[slot] === undefined) {
        held[slot] = run;
        res.on('close', onClose);
      } else {
        res.on('close', () => run.close());
      }
      let downstream: Promise<void>;
      try {
        downstream = next();
      } catch (error) {
        run.fail(error);
        return settled;
      }
      Promise.resolve(downstream).then(run.done, run.fail);
    } catch (error) {
      reject(error);
    }
    return settled;
  });
}
markFactory(timeout);

/** The settle functions of the promise just made: a static executor, no closure per request. */
let capturedResolve: (() => void) | undefined;
let capturedReject: ((error: unknown) => void) | undefined;
function captureSettle(resolve: () => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * The deadline (set upstream: a caller's budget, or an enclosing timeout
 * that already answered) has passed when the request reaches the
 * middleware: answer at once unless someone already did, and do not run the
 * downstream at all.
 */
function expiredOnEntry(ctx: Context, shared: Shared, deadline: number): Promise<void> {
  if (ctx.res.answered || ctx.res.committed) return Promise.resolve();
  shared.count(false);
  // The handler's representation headers out, the problem in.
  problemInstead(ctx, shared.answer);
  ctx.abort(new TimeoutError(0, deadline));
  return Promise.resolve();
}
