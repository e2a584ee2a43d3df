/**
 * The errors of @ward/cache. Requests never fail because the cache did (a
 * failing store is bypassed); these are what the direct APIs report:
 * an invalidation the store could not carry out, and the 504 of a request
 * that asked `only-if-cached` when nothing usable was stored.
 */
import { HttpError, WardError, hasBrand } from '@ward/core';

const CACHE_ERROR = Symbol.for('ward.cache-error');

/** Stable machine codes of @ward/cache. */
export type CacheErrorCode =
  /** The store failed or timed out while invalidating: entries may still be served until their TTL. */
  | 'CACHE_STORE_UNAVAILABLE';

/** A failure of @ward/cache's direct API with a stable {@link CacheErrorCode}. */
export class CacheError extends WardError {
  override name = 'CacheError';
  declare readonly code: CacheErrorCode;
  readonly [CACHE_ERROR] = true;

  constructor(code: CacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** True for a {@link CacheError}, from any copy of the package. */
export function isCacheError(value: unknown): value is CacheError {
  return hasBrand(value, CACHE_ERROR);
}

/** RFC 9111 §5.2.1.7: `only-if-cached` and nothing usable stored. */
export function onlyIfCachedMiss(): HttpError {
  return new HttpError(504, { code: 'CACHE_ONLY_IF_CACHED', title: 'Gateway Timeout', detail: 'The request asked for a stored response only (only-if-cached) and none is usable' });
}
