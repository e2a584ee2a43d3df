/**
 * The options of `createRateLimiter()` (and so of `rateLimit()`), checked
 * once at configuration: a wrong type is a TypeError, a bad value a
 * RangeError naming the option, and a shared store without an explicit
 * failure mode is refused (Envoy's lesson: what happens when Redis is down
 * must be a decision, not an accident).
 */
import { describeValue } from '@ward/core';
import { type MetricsRegistry, type WardMetricsOptions, resolveMetricsOptions } from '@ward/metrics';
import type { StoreEvent } from './guard.js';
import { keyPrefix, KEY_DELIMITER } from './keys.js';
import { MemoryStore } from './memory-store.js';
import { type CompiledPolicies, type RateLimitPenalty, type RateLimitPolicy, compilePolicies, compilePolicy, integerIn, withPenalty } from './policy.js';
import type { RateLimitStore } from './store.js';

/**
 * What happens when the store fails, times out or is skipped by its breaker:
 * - `'open'`: the request goes on undecided (counted, reported);
 * - `'closed'`: it is refused with a 503 (`RATE_LIMIT_UNAVAILABLE`), never a 429;
 * - `'memory'`: a local MemoryStore decides, at `fallbackShare` of each policy.
 */
export type FailureMode = 'open' | 'closed' | 'memory';

/** The breaker that keeps a failing store from being called on every request. */
export interface StoreBreakerOptions {
  /** Consecutive failures (errors or timeouts) that open it: an integer from 1 to 1 000. Default: `5`. */
  failures?: number;
  /** Milliseconds it stays open before one probe call: an integer from 1 to 3 600 000. Default: `2_000`. */
  openMs?: number;
}

/** Options of {@link createRateLimiter} and `rateLimit()`. */
export interface RateLimiterOptions extends WardMetricsOptions {
  /** The limits decided together on every request; the strictest refuses. At least one, at most 16. Required. */
  policies: readonly RateLimitPolicy[];
  /**
   * A penalty box: after `after` refusals in a row, the key is refused
   * outright for `blockMs` (outcome `blocked`), whatever its buckets hold.
   * Default: none.
   */
  penalty?: RateLimitPenalty;
  /**
   * The limiter's name: its key namespace (`ward:rl:{<name>:<key>}`) and
   * its `limiter` metric label. 1–64 characters of `A–Z a–z 0–9 _ - .`;
   * give each limiter sharing a store its own. Default: `'default'`.
   */
  name?: string;
  /** Where buckets live. Default: a `new MemoryStore()` (100 000 keys). */
  store?: RateLimitStore;
  /** Prepended to every store key. Default: `'ward:rl:'`. */
  keyPrefix?: string;
  /**
   * What to do when the store fails (see {@link FailureMode}). Default:
   * `'open'` for a MemoryStore (which does not fail); **required** for any
   * other store.
   */
  failureMode?: FailureMode;
  /**
   * With `failureMode: 'memory'`: the share of each policy's `limit` and
   * `burst` the local fallback allows (at least 1 token), e.g. `1 / 4` on
   * four app servers. A number in (0, 1]. Default: `1`.
   */
  fallbackShare?: number;
  /** With `failureMode: 'memory'`: keys the fallback store keeps. Default: `10_000`. */
  fallbackMax?: number;
  /**
   * The longest a store call may take, in milliseconds, before it counts as
   * failed (the request then follows `failureMode`): an integer from 1 to
   * 60 000. Only asynchronous stores are timed. Default: `20` (Envoy's
   * rate-limit service default).
   */
  storeTimeoutMs?: number;
  /** The breaker around the store. Default: `{ failures: 5, openMs: 2_000 }`. */
  breaker?: StoreBreakerOptions;
  /**
   * Told once when the store starts failing (`degraded`) and once when it
   * answers again (`recovered`). A hook that throws is ignored. Default: a
   * `process.emitWarning` per event (code `WARD_RATE_LIMIT_STORE`).
   */
  onStoreEvent?: (event: StoreEvent) => void;
  /** Clock in milliseconds for the breaker and the fallback store. Default: `Date.now`. */
  now?: () => number;
}

export interface ResolvedLimiterOptions {
  readonly name: string;
  readonly policies: CompiledPolicies;
  readonly store: RateLimitStore;
  readonly keyPrefix: string;
  readonly failureMode: FailureMode;
  readonly fallbackPolicies: CompiledPolicies;
  readonly fallbackMax: number;
  readonly storeTimeoutMs: number;
  readonly breaker: { readonly failures: number; readonly openMs: number };
  readonly onStoreEvent: (event: StoreEvent) => void;
  readonly now: () => number;
  readonly registry: MetricsRegistry;
  readonly prefix: string;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MODES: readonly FailureMode[] = ['open', 'closed', 'memory'];

export const LIMITER_OPTION_NAMES: readonly string[] = [
  'policies', 'penalty', 'name', 'store', 'keyPrefix', 'failureMode', 'fallbackShare', 'fallbackMax',
  'storeTimeoutMs', 'breaker', 'onStoreEvent', 'now', 'registry', 'prefix',
];

export function resolveLimiterOptions(options: RateLimiterOptions, where = 'createRateLimiter(options)'): ResolvedLimiterOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where} needs an options object such as { policies: [{ name: 'default', limit: 100, windowMs: 60_000 }] }, got ${describeValue(options)}`);
  }
  const policies = compilePolicies(options.policies, `${where}.policies`, options.penalty, `${where}.penalty`);
  const name = options.name ?? 'default';
  if (typeof name !== 'string' || !NAME.test(name) || name.includes(KEY_DELIMITER)) {
    throw new TypeError(`${where}.name must be 1–64 characters of A–Z a–z 0–9 _ - ., got ${describeValue(name)}`);
  }
  const store = options.store ?? new MemoryStore();
  if (typeof store !== 'object' || store === null || typeof store.consume !== 'function' || typeof store.reset !== 'function') {
    throw new TypeError(`${where}.store must be a MemoryStore, a RedisStore or an object with consume() and reset(), got ${describeValue(store)}`);
  }
  const prefix = options.keyPrefix ?? 'ward:rl:';
  if (typeof prefix !== 'string' || prefix.length > 128 || /[{}]/.test(prefix)) {
    throw new TypeError(`${where}.keyPrefix must be a string of at most 128 characters without { or }, got ${describeValue(prefix)}`);
  }
  const failureMode = options.failureMode ?? (store instanceof MemoryStore ? 'open' : undefined);
  if (failureMode === undefined) {
    throw new TypeError(`${where}.failureMode is required with a ${store.kind} store: say what happens when it fails — 'open' (allow), 'closed' (503) or 'memory' (a local fallback)`);
  }
  if (!MODES.includes(failureMode)) throw new RangeError(`${where}.failureMode must be 'open', 'closed' or 'memory', got ${describeValue(failureMode)}`);
  const share = options.fallbackShare ?? 1;
  if (typeof share !== 'number' || !(share > 0 && share <= 1)) throw new RangeError(`${where}.fallbackShare must be a number in (0, 1], got ${describeValue(share)}`);
  const fallbackMax = options.fallbackMax ?? 10_000;
  integerIn(`${where}.fallbackMax`, fallbackMax, 1, 100_000_000);
  const storeTimeoutMs = options.storeTimeoutMs ?? 20;
  integerIn(`${where}.storeTimeoutMs`, storeTimeoutMs, 1, 60_000);
  const breakerOptions = options.breaker ?? {};
  if (typeof breakerOptions !== 'object' || breakerOptions === null) throw new TypeError(`${where}.breaker must be an object { failures?, openMs? }, got ${describeValue(breakerOptions)}`);
  const breaker = { failures: breakerOptions.failures ?? 5, openMs: breakerOptions.openMs ?? 2_000 };
  integerIn(`${where}.breaker.failures`, breaker.failures, 1, 1_000);
  integerIn(`${where}.breaker.openMs`, breaker.openMs, 1, 3_600_000);
  const onStoreEvent = options.onStoreEvent ?? warn;
  if (typeof onStoreEvent !== 'function') throw new TypeError(`${where}.onStoreEvent must be a function (event) => void, got ${describeValue(onStoreEvent)}`);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError(`${where}.now must be a function returning milliseconds, got ${describeValue(now)}`);
  const metrics = resolveMetricsOptions({ registry: options.registry, prefix: options.prefix }, where);
  const fallbackPolicies =
    share === 1
      ? policies
      : withPenalty(
          policies.map((p, i) =>
            compilePolicy({ name: p.name, windowMs: p.windowMs, limit: Math.max(1, Math.floor(p.limit * share)), burst: Math.max(1, Math.floor(p.burst * share)) }, `${where}.policies[${i}] × fallbackShare`),
          ),
          policies.penalty,
          `${where}.penalty`,
        );
  return {
    name,
    policies,
    store,
    keyPrefix: keyPrefix(prefix, name),
    failureMode,
    fallbackPolicies,
    fallbackMax,
    storeTimeoutMs,
    breaker,
    onStoreEvent,
    now,
    registry: metrics.registry,
    prefix: metrics.prefix,
  };
}

/** The default store reporter: one process warning per episode edge. */
function warn(event: StoreEvent): void {
  const text =
    event.type === 'degraded'
      ? `rate limiter "${event.limiter}": the ${event.store} store is failing (${event.error instanceof Error ? event.error.message : describeValue(event.error)}); its failure mode applies until it recovers`
      : `rate limiter "${event.limiter}": the ${event.store} store answers again after ${event.downMs} ms`;
  process.emitWarning(text, { code: 'WARD_RATE_LIMIT_STORE' });
}
