/**
 * The token-bucket math, shared by the memory store and mirrored line for
 * line by the Redis script (redis-script.ts), so both decide identically.
 *
 * A key's state is one small array: `[at, level₀, level₁, …]` — the time of
 * the last decision (ms) and each policy's level in units (policy.ts: a
 * token is `windowMs` units, `limit` units come back per millisecond) —
 * and, with a penalty, `[…, strikes, blockedUntil]`: refusals in a row, and
 * the end of the current block (0 when none).
 * Every policy of a request is refilled, then the request is allowed only
 * if every bucket holds `cost` tokens; only then are they all charged. A
 * refused request charges nothing (RFC 2697's model; GCRA's "a denied
 * request does not advance the TAT").
 */
import type { CompiledPolicies } from './policy.js';

/** `[at, level₀, level₁, …]`: last decision time in ms and each policy's level in units. */
export type BucketState = number[];

/** A state whose buckets are all full at `now`: what a key nobody has seen yet holds. */
export function fullState(policies: CompiledPolicies, now: number): BucketState {
  // Literals for the common shapes: an array grown by push() reserves ~17 slots (200 bytes a key, not 64).
  if (policies.penalty === undefined) {
    if (policies.length === 1) return [now, policies[0]!.capacityUnits];
    if (policies.length === 2) return [now, policies[0]!.capacityUnits, policies[1]!.capacityUnits];
  }
  const state: BucketState = new Array<number>(policies.length + (policies.penalty === undefined ? 1 : 3)).fill(0);
  state[0] = now;
  for (let p = 0; p < policies.length; p++) state[p + 1] = policies[p]!.capacityUnits;
  return state;
}

/**
 * Refills every bucket of `state` up to `now` and charges `cost` tokens to
 * all of them if all can pay; changes `state` in place. Returns whether the
 * request is allowed. A clock that goes backwards refills nothing (and does
 * not move `at` back). `cost` 0 only refills (a peek). With a penalty, a
 * key inside its block is refused whatever its buckets hold, an allowed
 * request (cost > 0) clears the strikes, and the `after`-th refusal in a
 * row starts a block of `blockMs`.
 */
export function consumeState(state: BucketState, policies: CompiledPolicies, cost: number, now: number): boolean {
  const at = state[0]!;
  const elapsed = now > at ? now - at : 0;
  if (now > at) state[0] = now;
  let allowed = true;
  for (let p = 0; p < policies.length; p++) {
    const policy = policies[p]!;
    // Capped first, so `elapsed × unitsPerMs` stays an exact integer (≤ capacity + limit).
    const gained = (elapsed < policy.fullRefillMs ? elapsed : policy.fullRefillMs) * policy.unitsPerMs;
    const level = Math.min(policy.capacityUnits, state[p + 1]! + gained);
    state[p + 1] = level;
    if (level < cost * policy.unitsPerToken) allowed = false;
  }
  const penalty = policies.penalty;
  if (penalty !== undefined) {
    const strikes = policies.length + 1;
    if (now < state[strikes + 1]!) return false; // blocked: nothing charged, nothing counted
    if (!allowed) {
      state[strikes] = state[strikes]! + 1;
      if (state[strikes]! >= penalty.after) {
        state[strikes] = 0;
        state[strikes + 1] = now + penalty.blockMs;
      }
      return false;
    }
    if (cost > 0) state[strikes] = 0; // a peek (cost 0) changes nothing but the refill
  }
  if (allowed && cost > 0) {
    for (let p = 0; p < policies.length; p++) state[p + 1] = state[p + 1]! - cost * policies[p]!.unitsPerToken;
  }
  return allowed;
}

/** The end of the key's block (epoch ms), or 0 when it has none or no penalty applies. */
export function blockedUntil(state: BucketState, policies: CompiledPolicies): number {
  return policies.penalty === undefined ? 0 : state[policies.length + 2]!;
}

/** One policy's side of a decision. */
export interface PolicyResult {
  /** The policy's name. */
  readonly name: string;
  /** Its quota per window (`limit`), as `RateLimit-Policy` says it. */
  readonly limit: number;
  /** Its window in milliseconds. */
  readonly windowMs: number;
  /** Whole tokens left after this decision. */
  readonly remaining: number;
  /** Milliseconds until the bucket is full again (0 when full). */
  readonly resetMs: number;
  /**
   * Milliseconds until this bucket could pay this request's cost (0 when it
   * can now; `Infinity` when the cost exceeds its burst and never can).
   */
  readonly retryAfterMs: number;
}

/** Each policy's remaining tokens, reset and wait, read off a state after a decision. */
export function policyResults(state: BucketState, policies: CompiledPolicies, cost: number): PolicyResult[] {
  const results: PolicyResult[] = [];
  for (let p = 0; p < policies.length; p++) {
    const policy = policies[p]!;
    const level = state[p + 1]!;
    const need = cost * policy.unitsPerToken;
    results.push({
      name: policy.name,
      limit: policy.limit,
      windowMs: policy.windowMs,
      remaining: Math.floor(level / policy.unitsPerToken),
      resetMs: Math.ceil((policy.capacityUnits - level) / policy.unitsPerMs),
      retryAfterMs: cost > policy.burst ? Number.POSITIVE_INFINITY : level >= need ? 0 : Math.ceil((need - level) / policy.unitsPerMs),
    });
  }
  return results;
}
