/**
 * The error a deadline raises: `TimeoutError`, the reason `ctx.signal`
 * aborts with when a `timeout()` expires. Its `name` is `'TimeoutError'`,
 * like the DOMException of `AbortSignal.timeout()`, so code that checks
 * `signal.reason.name === 'TimeoutError'` works with either; its `code`
 * (`TIMEOUT`) is the stable machine code ward uses everywhere.
 */
import { WardError } from '@ward/core';

const TIMEOUT_ERROR = Symbol.for('ward.timeout-error');

/** The stable code of a {@link TimeoutError}, and of the problem+json answer a `timeout()` gives. */
export const TIMEOUT_CODE = 'TIMEOUT';

/**
 * The request's deadline passed before the downstream answered. `ctx.signal`
 * aborts with it, so handlers and the outbound calls they pass the signal to
 * can tell a deadline (`TimeoutError`, code `TIMEOUT`) from a client that went
 * away (`ClientClosedError`, code `CLIENT_CLOSED`).
 *
 * @example
 * try {
 *   await fetch(url, { signal: ctx.signal });
 * } catch (error) {
 *   if (isTimeoutError(ctx.signal.reason)) log.warn({ budgetMs: ctx.signal.reason.timeoutMs }, 'deadline passed');
 *   throw error;
 * }
 */
export class TimeoutError extends WardError {
  override name = 'TimeoutError';
  /** The budget that ran out, in milliseconds (from entering `timeout()` to the deadline). */
  readonly timeoutMs: number;
  /** The deadline that passed, in epoch milliseconds (the value of `ctx.state.deadline`). */
  readonly deadline: number;
  readonly [TIMEOUT_ERROR] = true;

  constructor(timeoutMs: number, deadline: number) {
    super(TIMEOUT_CODE, `The request did not complete within its ${timeoutMs} ms deadline`);
    this.timeoutMs = timeoutMs;
    this.deadline = deadline;
  }
}

/**
 * True for a {@link TimeoutError}, even one from another copy of
 * `@ward/timeout` (where `instanceof` fails).
 *
 * @example
 * if (isTimeoutError(ctx.signal.reason)) return; // the answer (503) is already on its way
 */
export function isTimeoutError(value: unknown): value is TimeoutError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TIMEOUT_ERROR] === true;
}
