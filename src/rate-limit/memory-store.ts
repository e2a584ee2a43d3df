/**
 * `MemoryStore`: buckets in one process, in an `lru-cache` bounded by `max`
 * keys (DESIGN.md rule 9). Each entry lives for the time its buckets take to
 * refill completely from empty (`ttl`, refreshed on every decision): a key
 * that has been idle that long is full anyway, so forgetting it changes no
 * decision. No timer per key; a decision is one `get` (and a `set` for a
 * new key) and a few integer operations.
 */
import { LRUCache } from 'lru-cache';
import { type CompiledPolicies, integerIn, keepMs, stateLength } from './policy.js';
import type { RateLimitStore, StoreDecision } from './store.js';
import { type BucketState, consumeState, fullState } from './token-bucket.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most keys kept, an integer from 1 to 100 000 000. Past it the least
   * recently used key is dropped (its buckets count as full when it comes
   * back). About 200 bytes per key. Default: `100_000`.
   */
  max?: number;
  /** Clock in milliseconds. Default: `Date.now`. */
  now?: () => number;
}

export class MemoryStore implements RateLimitStore {
  readonly kind = 'memory';
  readonly #cache: LRUCache<string, BucketState>;
  readonly #now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    const max = options.max ?? 100_000;
    integerIn('MemoryStore max', max, 1, 100_000_000);
    if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('MemoryStore now must be a function returning milliseconds');
    this.#now = options.now ?? Date.now;
    // ttl per entry (set below); updateAgeOnGet: a decision restarts its entry's clock.
    this.#cache = new LRUCache<string, BucketState>({ max, ttlAutopurge: false, updateAgeOnGet: true, ttl: 0, allowStale: false });
  }

  /** Keys held now (at most `max`). */
  get size(): number {
    return this.#cache.size;
  }

  consume(key: string, policies: CompiledPolicies, cost: number): StoreDecision {
    // Whole milliseconds, as in Redis: both stores decide alike whatever the clock returns.
    const now = Math.floor(this.#now());
    let state = this.#cache.get(key);
    if (state === undefined || state.length !== stateLength(policies)) {
      state = fullState(policies, now);
      this.#cache.set(key, state, { ttl: keepMs(policies) });
    }
    const allowed = consumeState(state, policies, cost, now);
    return { allowed, state };
  }

  reset(key: string): void {
    this.#cache.delete(key);
  }

  /** Forgets every key. */
  clear(): void {
    this.#cache.clear();
  }
}
