/**
 * The options of `timeout()`, checked once when the factory runs: a wrong
 * type is a TypeError, a bad value a RangeError, and a misspelt option name
 * is refused with the name it probably meant (a typo must not silently turn
 * a deadline off).
 */
import { describeValue } from '@ward/core';
import type { WardMetricsOptions } from '@ward/metrics';

/** The statuses a timeout may answer with (RFC 9110 §15.6.4 and §15.6.5; never 408, which is about receiving the request). */
export type TimeoutStatus = 503 | 504;

/**
 * The timer functions `timeout()` uses. Default: the global
 * `setTimeout`/`clearTimeout`, looked up on every call, so
 * `vi.useFakeTimers()` works without injecting anything.
 */
export interface TimeoutTimers {
  /** Calls `callback` once after `ms` milliseconds; returns a handle for {@link clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a pending callback; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: unknown): void;
}

/** Options of {@link timeout}. */
export interface TimeoutOptions extends WardMetricsOptions {
  /**
   * The budget of everything downstream of the middleware, in milliseconds:
   * an integer from 1 to 2 147 483 647 (node's timer limit, about 24.8 days).
   * Required.
   */
  timeoutMs: number;
  /**
   * The status of the answer when the deadline passes: `503` (Service
   * Unavailable, the "server busy" convention of connect-timeout and Go's
   * `http.TimeoutHandler`) or `504` (Gateway Timeout, for a service that
   * mostly waits on upstreams; ASP.NET Core and Hono). Default: `503`.
   */
  status?: TimeoutStatus;
  /**
   * Seconds sent as `Retry-After` on the timeout answer (RFC 9110 §10.2.3):
   * an integer from 0 to 2 147 483 647. Default: none (no header).
   */
  retryAfterSec?: number;
  /** Clock in epoch milliseconds, for `ctx.state.deadline`. Default: `Date.now`. */
  now?: () => number;
  /**
   * Timer functions. Default: the global `setTimeout`/`clearTimeout` (fake
   * timers apply). Inject only to drive deadlines from events in tests.
   */
  timers?: TimeoutTimers;
}

/** What the middleware uses per request, fixed at factory time. */
export interface ResolvedTimeoutOptions {
  readonly timeoutMs: number;
  readonly status: TimeoutStatus;
  readonly retryAfterSec: number | undefined;
  readonly now: () => number;
  readonly timers: TimeoutTimers | undefined;
}

/** The largest delay node's timers accept: 2^31 − 1 ms. A larger one fires after 1 ms. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

const KNOWN = new Set(['timeoutMs', 'status', 'retryAfterSec', 'now', 'timers', 'registry', 'prefix']);
/** Likely slips, and the option meant. */
const SUGGEST: Readonly<Record<string, string>> = {
  timeout: 'timeoutMs',
  ms: 'timeoutMs',
  time: 'timeoutMs',
  timeoutMS: 'timeoutMs',
  timeoutSec: 'timeoutMs (milliseconds)',
  deadline: 'timeoutMs',
  deadlineMs: 'timeoutMs',
  statusCode: 'status',
  code: 'status',
  retryAfter: 'retryAfterSec',
  retryAfterMs: 'retryAfterSec (seconds)',
  retryAfterSeconds: 'retryAfterSec',
  clock: 'now',
  timer: 'timers',
  register: 'registry',
  metrics: 'registry and prefix',
};

/**
 * Validates `timeout()`'s argument: a number of milliseconds, or
 * {@link TimeoutOptions}.
 *
 * @throws TypeError for a wrong type or an unknown option; RangeError for a bad value.
 */
export function resolveTimeoutOptions(input: TimeoutOptions | number): ResolvedTimeoutOptions {
  const options: TimeoutOptions = typeof input === 'number' ? { timeoutMs: input } : input;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      `timeout(options) expects { timeoutMs } or a number of milliseconds, got ${describeValue(input)}. Example: timeout({ timeoutMs: 5_000 })`,
    );
  }
  for (const key of Object.keys(options)) {
    if (KNOWN.has(key)) continue;
    const hint = Object.hasOwn(SUGGEST, key) ? SUGGEST[key] : undefined;
    throw new TypeError(
      `timeout({ ${key} }) is not an option${hint === undefined ? '.' : `; did you mean ${hint}?`} ` +
        `Options: ${[...KNOWN].join(', ')}`,
    );
  }
  return {
    timeoutMs: integerIn(options.timeoutMs, 1, MAX_TIMEOUT_MS, 'timeoutMs', 'milliseconds, e.g. 5_000', true)!,
    status: statusOf(options.status),
    retryAfterSec: integerIn(options.retryAfterSec, 0, MAX_TIMEOUT_MS, 'retryAfterSec', 'seconds, e.g. 5', false),
    now: fn(options.now, 'now', 'returning epoch milliseconds, like Date.now') ?? dateNow,
    timers: timersOf(options.timers),
  };
}

function integerIn(value: unknown, min: number, max: number, name: string, unit: string, required: boolean): number | undefined {
  if (value === undefined) {
    if (required) throw new TypeError(`timeout({ ${name} }) is required: the budget in ${unit}`);
    return undefined;
  }
  if (typeof value !== 'number') throw new TypeError(`timeout({ ${name} }) must be a number of ${unit}, got ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`timeout({ ${name} }) must be an integer from ${min} to ${max} (${unit}), got ${String(value)}`);
  }
  return value;
}

function statusOf(value: unknown): TimeoutStatus {
  if (value === undefined) return 503;
  if (typeof value !== 'number') throw new TypeError(`timeout({ status }) must be the number 503 or 504, got ${describeValue(value)}`);
  if (value !== 503 && value !== 504) {
    const why = value === 408 ? ' (408 means the client was too slow to send its request, RFC 9110 §15.5.9)' : '';
    throw new RangeError(`timeout({ status }) must be 503 (Service Unavailable) or 504 (Gateway Timeout), got ${value}${why}`);
  }
  return value;
}

function fn<F>(value: F | undefined, name: string, what: string): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`timeout({ ${name} }) must be a function ${what}, got ${describeValue(value)}`);
  }
  return value;
}

function timersOf(value: TimeoutTimers | undefined): TimeoutTimers | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof value.setTimeout !== 'function' || typeof value.clearTimeout !== 'function') {
    throw new TypeError(`timeout({ timers }) must be an object with setTimeout(callback, ms) and clearTimeout(handle), got ${describeValue(value)}`);
  }
  return value;
}

/** `Date.now`, looked up on every call, so fake clocks installed later apply. */
function dateNow(): number {
  return Date.now();
}

