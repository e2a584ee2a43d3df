/**
 * A retry budget (Envoy's `retry_budget`, Finagle's `RetryBudget`): retries
 * may be at most a share of the calls of a recent window, plus a small
 * floor for quiet services. When a dependency fails for everyone, every
 * caller retrying would multiply its load by the attempt count; a budget
 * keeps the extra load to the share. Shared by every call that should
 * count together (a client, an upstream); O(1) per call.
 */
import { describeValue } from '@ward/core';
import { integer } from './options.js';
import { FAILED, TimeWindow } from './sliding-window.js';

/** In the budget's window a call is a plain entry, a retry one with this bit. */
const RETRY = FAILED;

export interface RetryBudgetOptions {
  /** Retries may be at most this share of the calls in the window, from 0 to 1. Default: `0.2` (Envoy's 20 %). */
  ratio?: number;
  /** Retries always allowed per window, however few the calls (Envoy's `min_retry_concurrency` idea). Default: `10`. */
  minRetries?: number;
  /** The window calls and retries are counted in, in ms. Default: `10_000`. */
  windowMs?: number;
  /** Clock in ms. Default: `performance.now`. */
  now?: () => number;
}

/** A shared allowance of retries; see {@link createRetryBudget}. */
export interface RetryBudget {
  /** Counts one call (its first attempt). */
  recordCall(): void;
  /** Takes one retry from the budget: false when none is left (the retry must not happen). */
  tryRetry(): boolean;
  /** Calls and retries in the window, and the retries still allowed. */
  snapshot(): { calls: number; retries: number; available: number };
}

/**
 * A retry budget to share between the calls that should count together.
 *
 * @example
 * const budget = createRetryBudget({ ratio: 0.1 });
 * const policy = retryPolicy({ maxAttempts: 3, budget });
 */
export function createRetryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const where = 'createRetryBudget(options)';
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where} needs an options object, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) if (!['ratio', 'minRetries', 'windowMs', 'now'].includes(name)) throw new TypeError(`${where}: unknown option "${name}" (known: ratio, minRetries, windowMs, now)`);
  const ratio = options.ratio ?? 0.2;
  if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) throw new RangeError(`${where}.ratio must be a number from 0 to 1, got ${describeValue(ratio)}`);
  const minRetries = integer(options.minRetries, 10, 0, 1_000_000, `${where}.minRetries`);
  const windowMs = integer(options.windowMs, 10_000, 10, 86_400_000, `${where}.windowMs`);
  if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError(`${where}.now must be a function, got ${describeValue(options.now)}`);
  const now = options.now ?? (() => performance.now());
  const window = new TimeWindow(windowMs, 10);
  const available = (): number => {
    const entries = window.calls(now());
    const retries = window.failures;
    return Math.max(0, Math.max(minRetries, Math.floor(ratio * (entries - retries))) - retries);
  };
  return {
    recordCall: () => window.record(0, now()),
    tryRetry() {
      if (available() < 1) return false;
      window.record(RETRY, now());
      return true;
    },
    snapshot() {
      const left = available();
      return { calls: window.calls(now()) - window.failures, retries: window.failures, available: left };
    },
  };
}
