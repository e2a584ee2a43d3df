/**
 * A limiter's decision, read off a key's state after the store decided: one
 * pass over the policies for the figures a caller acts on (remaining, waits,
 * the violated policies), and each policy's own figures only when asked for
 * (`policies`, read by the RateLimit fields), so the direct API allocates
 * nothing it does not return.
 */
import type { CompiledPolicies } from './policy.js';
import { type BucketState, type PolicyResult, blockedUntil, policyResults } from './token-bucket.js';

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
  /** Names of the policies that refused (empty unless refused). */
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

const NONE: readonly string[] = Object.freeze([]);
const NO_POLICIES: readonly PolicyResult[] = Object.freeze([]);

/** A decision a store made: figures from its state, per-policy results on demand. */
export class StoreDecided implements RateLimitDecision {
  readonly allowed: boolean;
  readonly outcome: RateLimitOutcome;
  readonly source: 'store' | 'fallback';
  readonly cost: number;
  readonly violated: readonly string[];
  readonly remaining: number;
  readonly resetMs: number;
  readonly retryAfterMs: number;
  readonly error?: unknown;
  readonly #state: BucketState;
  readonly #list: CompiledPolicies;
  #policies: readonly PolicyResult[] | undefined;

  constructor(allowed: boolean, state: BucketState, list: CompiledPolicies, cost: number, source: 'store' | 'fallback', error: unknown) {
    this.#state = state;
    this.#list = list;
    let remaining = Number.POSITIVE_INFINITY;
    let resetMs = 0;
    let retryAfterMs = 0;
    let tooBig = false;
    let violated: string[] | undefined;
    for (let p = 0; p < list.length; p++) {
      const policy = list[p]!;
      const level = state[p + 1]!;
      const tokens = Math.floor(level / policy.unitsPerToken);
      if (tokens < remaining) remaining = tokens;
      const reset = Math.ceil((policy.capacityUnits - level) / policy.unitsPerMs);
      if (reset > resetMs) resetMs = reset;
      if (allowed) continue;
      const need = cost * policy.unitsPerToken;
      if (level >= need && cost <= policy.burst) continue;
      (violated ??= []).push(policy.name);
      if (cost > policy.burst) tooBig = true;
      else {
        const wait = Math.ceil((need - level) / policy.unitsPerMs);
        if (wait > retryAfterMs) retryAfterMs = wait;
      }
    }
    let outcome: RateLimitOutcome = 'allowed';
    if (!allowed) {
      // The state's `at` is the decision's time on the store's clock.
      const blockedMs = blockedUntil(state, list) - state[0]!;
      if (blockedMs > retryAfterMs) retryAfterMs = blockedMs;
      if (tooBig) retryAfterMs = Number.POSITIVE_INFINITY;
      outcome = tooBig ? 'cost_exceeds_burst' : blockedMs > 0 ? 'blocked' : 'limited';
    }
    this.allowed = allowed;
    this.outcome = outcome;
    this.source = source;
    this.cost = cost;
    this.violated = violated ?? NONE;
    this.remaining = remaining;
    this.resetMs = resetMs;
    this.retryAfterMs = retryAfterMs;
    if (error !== undefined) this.error = error;
  }

  get policies(): readonly PolicyResult[] {
    return (this.#policies ??= policyResults(this.#state, this.#list, this.cost));
  }
}

/** A decision nobody made: the store failed and the failure mode answered. */
export function undecided(open: boolean, cost: number, error: unknown): RateLimitDecision {
  return {
    allowed: open,
    outcome: open ? 'failed_open' : 'failed_closed',
    source: 'none',
    cost,
    policies: NO_POLICIES,
    violated: NONE,
    remaining: Number.POSITIVE_INFINITY,
    resetMs: 0,
    retryAfterMs: 0,
    error,
  };
}
