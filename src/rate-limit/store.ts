/**
 * The store contract: where bucket states live. A store decides a whole
 * request — every policy, one key — atomically, and answers with the state
 * after the decision, so the limiter reads remaining tokens and waits the
 * same way whichever store decided (token-bucket.ts).
 */
import type { CompiledPolicies } from './policy.js';
import type { BucketState } from './token-bucket.js';

/** What a store answers for one decision. */
export interface StoreDecision {
  /** True when every bucket could pay and was charged. */
  readonly allowed: boolean;
  /** The key's state after the decision: `[at, level₀, level₁, …]`, then `[strikes, blockedUntil]` with a penalty (see token-bucket.ts). */
  readonly state: BucketState;
}

/**
 * A place to keep buckets: {@link MemoryStore} (one process) or
 * {@link RedisStore} (a fleet). A store failure is a rejection (or a
 * throw) with an `Error`; a refusal is `allowed: false` — never the other
 * way round.
 */
export interface RateLimitStore {
  /** `memory`, `redis`, or a custom store's name: the `store` label of metrics. */
  readonly kind: string;
  /** Refills `key`'s buckets and charges `cost` tokens to all of them if all can pay, atomically. */
  consume(key: string, policies: CompiledPolicies, cost: number): StoreDecision | Promise<StoreDecision>;
  /** Forgets `key`: its buckets are full again. */
  reset(key: string): void | Promise<void>;
}
