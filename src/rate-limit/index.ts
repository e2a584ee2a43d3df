/**
 * @ward/rate-limit — token-bucket rate limits: several policies decided
 * together per request, in memory (`MemoryStore`, lru-cache) or in Redis
 * (`RedisStore`, one atomic Lua round trip on the server's clock), with a
 * chosen failure mode (open, closed, or a local memory fallback) behind a
 * timeout and a breaker, and the IETF `RateLimit` / `RateLimit-Policy`
 * fields. `createRateLimiter()` decides without HTTP (login attempts per
 * account); `rateLimit()` puts one in a chain.
 *
 * @example
 * import { rateLimit } from '@ward/rate-limit';
 * engine.use(rateLimit({ policies: [{ name: 'burst', limit: 10, windowMs: 1_000 }] }));
 */
export { rateLimit, type RateLimitOptions } from './middleware.js';
export { createRateLimiter, type RateLimitDecision, type RateLimiter, type RateLimitOutcome } from './limiter.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { RedisStore, type RedisScriptClient, type RedisStoreOptions } from './redis-store.js';
export type { RateLimitStore, StoreDecision } from './store.js';
export type { CompiledPolicies, CompiledPolicy, RateLimitPenalty, RateLimitPolicy } from './policy.js';
export type { PolicyResult, BucketState } from './token-bucket.js';
export type { StoreEvent, StoreFailure } from './guard.js';
export type { FailureMode, RateLimiterOptions, StoreBreakerOptions } from './options.js';
export { ipKey } from './keys.js';
export { isStoreError, StoreTimeoutError, StoreUnavailableError, type StoreErrorCode } from './errors.js';
