/**
 * @ward/circuit-breaker — resilience for the calls an API makes and the
 * routes it serves: a resilience4j-style `CircuitBreaker` (count and time
 * windows, slow calls, half-open trials, a registry, optional shared state
 * in Redis), `retry()` with AWS jitter, `Retry-After` and retry budgets,
 * the `circuitBreaker()` route middleware, and `resilientFetch()`.
 */
export { CircuitBreaker, type BreakerEventName, type BreakerEvents, type CallPermit, type ExecuteOptions } from './breaker.js';
export type { CallOutcome, CircuitBreakerOptions } from './options.js';
export type { BreakerSnapshot, CircuitState, TransitionReason } from './state.js';
export { BrokenCircuitError, circuitOpenProblem, isBrokenCircuitError, retryAfterSeconds } from './errors.js';
export { createBreakerRegistry, type BreakerRegistry, type BreakerRegistryOptions } from './registry.js';
export { backoffDelay, type BackoffOptions, type Jitter, type ResolvedBackoff } from './backoff.js';
export {
  MAX_ATTEMPTS_CAP,
  retry,
  retryPolicy,
  type AttemptContext,
  type GiveUpReason,
  type RetryCallOptions,
  type RetryEvent,
  type RetryOptions,
  type RetryPolicy,
} from './retry.js';
export { createRetryBudget, type RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
export { parseRetryAfter } from './retry-after.js';
export { circuitBreaker, type CircuitBreakerMiddlewareOptions } from './middleware.js';
export { resilientFetch, type ResilientFetch, type ResilientFetchOptions, type ResilientRequestInit } from './resilient-fetch.js';
export { RedisCircuitState, type RedisCircuitStateOptions, type SharedStateEvent } from './redis-state.js';
export type { SharedBreakerHandle, SharedBreakerLink, SharedCircuitState, SharedVerdict, TrialClaim } from './shared-state.js';
