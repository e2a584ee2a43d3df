/**
 * `createRateLimiter()`: the decision engine behind `rateLimit()`, usable
 * without HTTP (`limiter.consume('login:alice')` for login attempts per
 * account). It owns the policies, the store and its guard, the failure
 * mode, the fallback store and the metrics; every answer is a
 * {@link RateLimitDecision}, never a rejection for an ordinary refusal.
 */
import { StoreGuard, type StoreFailure } from './guard.js';
import { storeKey } from './keys.js';
import { MemoryStore } from './memory-store.js';
import { rateLimitMetrics } from './metrics.js';
import { type RateLimiterOptions, resolveLimiterOptions, type FailureMode } from './options.js';
import type { CompiledPolicies } from './policy.js';
import type { StoreDecision } from './store.js';
import { type PolicyResult, blockedUntil, policyResults } from './token-bucket.js';

/** How a decision came out. */
export type RateLimitOutcome =
  /** Every bucket could pay; they were charged. */
  | 'allowed'
  /** At least one bucket could not pay; nothing was charged. */
  | 'limited'
  /** The cost is above some policy's burst: no wait will ever let it through. */
  | 'cost_exceeds_burst'
  /** The key is in its penalty block (`penalty`): refused whatever its buckets hold. */
  | 'blocked'
  /** The store failed and `failureMode: 'open'` let the request through undecided. */
  | 'failed_open'
  /** The store failed and `failureMode: 'closed'` refuses it (a 503, never a 429). */
  | 'failed_closed';

/** One decision of a limiter. */
export interface RateLimitDecision {
  /** True when the request may go on (`allowed` or `failed_open`). */
  readonly allowed: boolean;
  readonly outcome: RateLimitOutcome;
  /** Who decided: the configured store, the `memory` fallback, or nobody (a failure mode). */
  readonly source: 'store' | 'fallback' | 'none';
  /** Tokens this request asked for. */
  readonly cost: number;
  /** Each policy after the decision (empty when nobody decided). */
  readonly policies: readonly PolicyResult[];
  /** Names of the policies that refused (empty unless limited). */
  readonly violated: readonly string[];
  /** Fewest whole tokens left in any policy (`Infinity` when nobody decided). */
  readonly remaining: number;
  /** Milliseconds until every bucket is full again. */
  readonly resetMs: number;
  /** Milliseconds until this request could pass (0 when allowed; `Infinity` for `cost_exceeds_burst`). */
  readonly retryAfterMs: number;
  /** The store failure behind `failed_*` or `fallback` decisions. */
  readonly error?: unknown;
}

/** A limiter: policies, a store, a failure mode. */
export interface RateLimiter {
  /** The limiter's name: its key namespace and its `limiter` metric label. */
  readonly name: string;
  readonly policies: CompiledPolicies;
  readonly failureMode: FailureMode;
  /**
   * Decides `cost` tokens (default 1) for `key` — any string identifying
   * who is limited (`ip:203.0.113.9`, `user:42`, `login:alice@example.com`).
   * Resolves with the decision; rejects only for a programming error (a bad
   * `cost` or key type).
   */
  consume(key: string, cost?: number): Promise<RateLimitDecision>;
  /** Forgets `key` in the store (and the fallback): its buckets are full again. */
  reset(key: string): Promise<void>;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const config = resolveLimiterOptions(options);
  const { name, policies, failureMode, fallbackPolicies } = config;
  const metrics = rateLimitMetrics(config.registry, config.prefix, name, config.store.kind);
  const guard = new StoreGuard(config.store, {
    limiter: name,
    timeoutMs: config.storeTimeoutMs,
    breakerFailures: config.breaker.failures,
    breakerOpenMs: config.breaker.openMs,
    now: config.now,
    onEvent: config.onStoreEvent,
    onFailure: (reason: StoreFailure) => metrics.storeError(reason),
  });
  const fallback = failureMode === 'memory' ? new MemoryStore({ max: config.fallbackMax, now: config.now }) : undefined;

  function decided(answer: StoreDecision, cost: number, source: 'store' | 'fallback', list: CompiledPolicies, error?: unknown): RateLimitDecision {
    const results = policyResults(answer.state, list, cost);
    let remaining = Number.POSITIVE_INFINITY;
    let resetMs = 0;
    let retryAfterMs = 0;
    let tooBig = false;
    const violated: string[] = [];
    for (let p = 0; p < results.length; p++) {
      const result = results[p]!;
      if (result.remaining < remaining) remaining = result.remaining;
      if (result.resetMs > resetMs) resetMs = result.resetMs;
      if (!answer.allowed && result.retryAfterMs > 0) {
        violated.push(result.name);
        if (result.retryAfterMs > retryAfterMs) retryAfterMs = result.retryAfterMs;
        if (cost > list[p]!.burst) tooBig = true;
      }
    }
    // The state's `at` is the decision's time on the store's clock.
    const blockedMs = answer.allowed ? 0 : blockedUntil(answer.state, list) - answer.state[0]!;
    if (blockedMs > retryAfterMs) retryAfterMs = blockedMs;
    const outcome: RateLimitOutcome = answer.allowed ? 'allowed' : tooBig ? 'cost_exceeds_burst' : blockedMs > 0 ? 'blocked' : 'limited';
    metrics.decision(outcome, source);
    return { allowed: answer.allowed, outcome, source, cost, policies: results, violated, remaining, resetMs, retryAfterMs: answer.allowed ? 0 : retryAfterMs, error };
  }

  function failed(key: string, cost: number, error: unknown): RateLimitDecision {
    if (fallback !== undefined) return decided(fallback.consume(key, fallbackPolicies, cost), cost, 'fallback', fallbackPolicies, error);
    const outcome: RateLimitOutcome = failureMode === 'open' ? 'failed_open' : 'failed_closed';
    metrics.decision(outcome, 'none');
    const open = outcome === 'failed_open';
    return { allowed: open, outcome, source: 'none', cost, policies: [], violated: [], remaining: Number.POSITIVE_INFINITY, resetMs: 0, retryAfterMs: 0, error };
  }

  async function consume(key: string, cost = 1): Promise<RateLimitDecision> {
    if (typeof key !== 'string') throw new TypeError(`rate limiter "${name}": key must be a string, got ${typeof key}`);
    if (!Number.isInteger(cost) || cost < 0 || cost > 1_000_000_000) {
      throw new RangeError(`rate limiter "${name}": cost must be an integer from 0 to 1 000 000 000, got ${String(cost)}`);
    }
    const full = storeKey(config.keyPrefix, key);
    const started = metrics.timed ? performance.now() : 0;
    try {
      const answer = guard.consume(full, policies, cost);
      const decision = decided(answer instanceof Promise ? await answer : answer, cost, 'store', policies);
      if (metrics.timed) metrics.latency((performance.now() - started) / 1000);
      return decision;
    } catch (error) {
      // Whatever the store threw or rejected with is a store failure, never a refusal.
      return failed(full, cost, error);
    }
  }

  async function reset(key: string): Promise<void> {
    const full = storeKey(config.keyPrefix, key);
    fallback?.reset(full);
    await config.store.reset(full);
  }

  return Object.freeze({ name, policies, failureMode, consume, reset });
}
