/**
 * `MemoryStore`: buckets in one process, in an `lru-cache` bounded by `max`
 * keys (DESIGN.md rule 9): past it the least recently used key goes. No
 * lru-cache TTL and no timer per key: a state carries the time of its last
 * decision, and a key idle long enough to be full is just refilled when it
 * comes back, so expiring it would change no decision — only cost a clock
 * read on every lookup. A decision is one `get` (skipped when the key is the
 * one decided just before, which is then still the most recent), a `set`
 * for a new key, and a few integer operations.
 */
import { LRUCache } from 'lru-cache';
import { type CompiledPolicies, integerIn, stateLength } from './policy.js';
import type { RateLimitStore, StoreDecision } from './store.js';
import { type BucketState, consumeState, fullState } from './token-bucket.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most keys kept, an integer from 1 to 100 000 000. Past it the least
   * recently used key is dropped (its buckets count as full when it comes
   * back). About 270 bytes per key. Default: `100_000`.
   */
  max?: number;
  /** Clock in milliseconds. Default: `Date.now`. */
  now?: () => number;
}

export class MemoryStore implements RateLimitStore {
  readonly kind = 'memory';
  readonly #cache: LRUCache<string, BucketState>;
  readonly #now: () => number;
  /** The key decided last and its state: it is the cache's most recent entry, so a repeat needs no lookup. */
  #lastKey: string | undefined = undefined;
  #lastState: BucketState | undefined = undefined;

  constructor(options: MemoryStoreOptions = {}) {
    const max = options.max ?? 100_000;
    integerIn('MemoryStore max', max, 1, 100_000_000);
    if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('MemoryStore now must be a function returning milliseconds');
    this.#now = options.now ?? Date.now;
    this.#cache = new LRUCache<string, BucketState>({ max });
  }

  /** Keys held now (at most `max`). */
  get size(): number {
    return this.#cache.size;
  }

  consume(key: string, policies: CompiledPolicies, cost: number): StoreDecision {
    // Whole milliseconds, as in Redis: both stores decide alike whatever the clock returns.
    const now = Math.floor(this.#now());
    let state = key === this.#lastKey ? this.#lastState : this.#cache.get(key);
    if (state === undefined || state.length !== stateLength(policies)) {
      state = fullState(policies, now);
      this.#cache.set(key, state);
    }
    this.#lastKey = key;
    this.#lastState = state;
    const allowed = consumeState(state, policies, cost, now);
    return { allowed, state };
  }

  reset(key: string): void {
    if (key === this.#lastKey) this.#lastKey = this.#lastState = undefined;
    this.#cache.delete(key);
  }

  /** Forgets every key. */
  clear(): void {
    this.#lastKey = this.#lastState = undefined;
    this.#cache.clear();
  }
}
