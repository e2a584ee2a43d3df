/**
 * The typed failures of @ward/rate-limit. A refusal is never an error — it
 * is a decision with `allowed: false` (limiter.ts) — so "over the limit" and
 * "the store failed" can never be confused (rate-limiter-flexible's trap:
 * one rejection type for both).
 */
import { WardError, hasBrand } from '@ward/core';

const STORE_ERROR = Symbol.for('ward.rate-limit.store-error');

/** The stable codes of store failures. */
export type StoreErrorCode = 'RATE_LIMIT_STORE_UNAVAILABLE' | 'RATE_LIMIT_STORE_TIMEOUT';

/** The store could not decide: it failed, answered nonsense, or was skipped by the breaker. */
export class StoreUnavailableError extends WardError {
  override name = 'StoreUnavailableError';
  declare readonly code: StoreErrorCode;
  readonly [STORE_ERROR] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super('RATE_LIMIT_STORE_UNAVAILABLE', `Rate-limit store unavailable: ${message}`, options);
  }
}

/** The store did not answer within `storeTimeoutMs`. */
export class StoreTimeoutError extends WardError {
  override name = 'StoreTimeoutError';
  declare readonly code: StoreErrorCode;
  readonly [STORE_ERROR] = true;
  /** The budget that ran out, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super('RATE_LIMIT_STORE_TIMEOUT', `Rate-limit store did not answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** True for a {@link StoreUnavailableError} or {@link StoreTimeoutError}, from any copy of this package. */
export function isStoreError(value: unknown): value is StoreUnavailableError | StoreTimeoutError {
  return hasBrand(value, STORE_ERROR);
}
