/**
 * `createRateLimiter()`: the decision engine behind `rateLimit()`, usable
 * without HTTP (`limiter.consume('login:alice')` for login attempts per
 * account). It owns the policies, the store and its guard, the failure
 * mode, the fallback store and the metrics; every answer is a
 * {@link RateLimitDecision}, never a rejection for an ordinary refusal.
 */
import { callAsync } from '@ward/core';
import { StoreGuard, type StoreFailure } from './guard.js';
import { storeKey } from './keys.js';
import { MEMORY_NAMESPACE, MemoryStore } from './memory-store.js';
import { rateLimitMetrics } from './metrics.js';
import { LIMITER_OPTION_NAMES, type RateLimiterOptions, resolveLimiterOptions, type FailureMode } from './options.js';
import { type CompiledPolicies, MAX_TOKENS } from './policy.js';
import type { StoreDecision } from './store.js';
import { type RateLimitDecision, StoreDecided, undecided } from './decision.js';

export type { RateLimitDecision, RateLimitOutcome } from './decision.js';

/** A limiter: policies, a store, a failure mode. */
export interface RateLimiter {
  /** The limiter's name: its key namespace and its `limiter` metric label. */
  readonly name: string;
  readonly policies: CompiledPolicies;
  readonly failureMode: FailureMode;
  /** With `failureMode: 'memory'`: the policies the insurance store enforces while the main store is down (each at `fallbackShare` of its limit). */
  readonly fallbackPolicies?: CompiledPolicies;
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

/** The limiter's synchronous-when-possible decision, for rateLimit() (not public API). */
export const DECIDE = Symbol('ward.rate-limit.decide');

/** What rateLimit() calls on a limiter from createRateLimiter(). */
export interface DecidingLimiter extends RateLimiter {
  readonly [DECIDE]?: (key: string, cost: number) => RateLimitDecision | Promise<RateLimitDecision>;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  if (typeof options === 'object' && options !== null) {
    // A misspelt option must not silently turn a setting off.
    for (const key of Object.keys(options)) {
      if (!LIMITER_OPTION_NAMES.includes(key)) throw new TypeError(`createRateLimiter(options): unknown option "${key}" (known: ${LIMITER_OPTION_NAMES.join(', ')})`);
    }
  }
  const config = resolveLimiterOptions(options);
  const { name, policies, failureMode, fallbackPolicies } = config;
  const metrics = rateLimitMetrics(config.registry, config.prefix, name, config.store.kind);
  // In memory, the limiter has a namespace of its own and needs no key prefix (memory-store.ts says why).
  const namespaced = config.store instanceof MemoryStore;
  const store = namespaced ? config.store[MEMORY_NAMESPACE](config.keyPrefix) : config.store;
  const keyPrefix = config.keyPrefix;
  const guard = new StoreGuard(store, {
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
    const decision = new StoreDecided(answer.allowed, answer.state, list, cost, source, error);
    metrics.decision(decision.outcome, source);
    return decision;
  }

  function failed(key: string, cost: number, error: unknown): RateLimitDecision {
    if (fallback !== undefined) return decided(fallback.consume(key, fallbackPolicies, cost), cost, 'fallback', fallbackPolicies, error);
    const decision = undecided(failureMode === 'open', cost, error);
    metrics.decision(decision.outcome, 'none');
    return decision;
  }

  /** The decision, synchronously when the store answers synchronously (MemoryStore): what rateLimit() calls. */
  function decide(key: string, cost: number): RateLimitDecision | Promise<RateLimitDecision> {
    if (typeof key !== 'string') throw new TypeError(`rate limiter "${name}": key must be a string, got ${typeof key}`);
    if (!Number.isInteger(cost) || cost < 0) throw new RangeError(`rate limiter "${name}": cost must be an integer ≥ 0, got ${String(cost)}`);
    const full = namespaced ? key : storeKey(keyPrefix, key);
    const started = metrics.timed ? performance.now() : 0;
    // More than any policy can hold (none holds over MAX_TOKENS): a refusal for its cost, read from
    // the bucket as it is (a peek, cost 0), never a store call with a number it cannot carry.
    const tooBig = cost > MAX_TOKENS;
    // The guard never throws: whatever the store threw or rejected with arrives as a rejection, a store failure.
    const answer = guard.consume(full, policies, tooBig ? 0 : cost);
    if (!(answer instanceof Promise)) return decided(tooBig ? refused(answer) : answer, cost, 'store', policies);
    return answer.then(
      (settled) => {
        if (metrics.timed) metrics.latency((performance.now() - started) / 1000);
        return decided(tooBig ? refused(settled) : settled, cost, 'store', policies);
      },
      (error: unknown) => failed(key, cost, error),
    );
  }

  function consume(key: string, cost = 1): Promise<RateLimitDecision> {
    // A programming error (a bad key or cost) rejects, as from an async function.
    return callAsync(decide, key, cost);
  }

  async function reset(key: string): Promise<void> {
    // The fallback is this limiter's own: its keys need no prefix.
    fallback?.reset(key);
    await store.reset(namespaced ? key : storeKey(keyPrefix, key));
  }

  return Object.freeze({ name, policies, failureMode, ...(failureMode === 'memory' ? { fallbackPolicies } : {}), consume, reset, [DECIDE]: decide });
}

/** A peek's answer as the refusal of a request no bucket could ever hold. */
function refused(answer: StoreDecision): StoreDecision {
  return { allowed: false, state: answer.state };
}
