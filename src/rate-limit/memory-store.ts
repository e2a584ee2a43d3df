/**
 * `MemoryStore`: buckets in one process, in an `lru-cache` bounded by `max`
 * keys (DESIGN.md rule 9): past it the least recently used key goes. No
 * lru-cache TTL and no timer per key: a state carries the time of its last
 * decision, and a key idle long enough to be full is just refilled when it
 * comes back, so expiring it would change no decision — only cost a clock
 * read on every lookup. A decision is one `get` (skipped when the key is the
 * one decided just before, which is then still the most recent), a `set`
 * for a new key, and a few integer operations.
 *
 * Each limiter on a store decides in its own part of it (its namespace, see
 * {@link MEMORY_NAMESPACE}), an LRU of its own keyed by the caller's key as
 * it is: building `<prefix>{<name>:<key>}` for every decision, and hashing
 * that fresh string, cost more than the rest of the decision (about 100 ns
 * of 230 at one key, 180 of 390 at 10 000). The store's own `consume` and
 * `reset` still take a limiter's full keys, and reach the same buckets.
 */
import { LRUCache } from 'lru-cache';
import { callerKey } from './keys.js';
import { type CompiledPolicies, integerIn, stateLength } from './policy.js';
import type { RateLimitStore, StoreDecision } from './store.js';
import { type BucketState, consumeState, fullState } from './token-bucket.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most keys kept, an integer from 1 to 100 000 000: per limiter when
   * several limiters share the store (each decides in a namespace of its
   * own). Past it the least recently used key is dropped (its buckets count
   * as full when it comes back). About 270 bytes per key. Default: `100_000`.
   */
  max?: number;
  /** Clock in milliseconds. Default: `Date.now`. */
  now?: () => number;
}

/**
 * @internal The part of a store one limiter uses, by its key prefix: what
 * `createRateLimiter()` decides in, with the caller's keys unprefixed.
 */
export const MEMORY_NAMESPACE = Symbol('ward.rate-limit.memory-namespace');

export class MemoryStore implements RateLimitStore {
  readonly kind = 'memory';
  readonly #cache: LRUCache<string, BucketState>;
  readonly #now: () => number;
  /** The key decided last and its state: it is the cache's most recent entry, so a repeat needs no lookup. */
  #lastKey: string | undefined = undefined;
  #lastState: BucketState | undefined = undefined;
  /** The limiters' namespaces, by key prefix (see {@link MEMORY_NAMESPACE}). */
  readonly #namespaces = new Map<string, MemoryStore>();

  constructor(options: MemoryStoreOptions = {}) {
    const max = options.max ?? 100_000;
    integerIn('MemoryStore max', max, 1, 100_000_000);
    if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError('MemoryStore now must be a function returning milliseconds');
    this.#now = options.now ?? Date.now;
    this.#cache = new LRUCache<string, BucketState>({ max });
  }

  /** Keys held now, in every namespace (at most `max` in each). */
  get size(): number {
    let size = this.#cache.size;
    for (const namespace of this.#namespaces.values()) size += namespace.size;
    return size;
  }

  /**
   * @internal The namespace of the limiter whose keys start with `prefix`:
   * a store of its own (same `max`, same clock), one per prefix, so two
   * limiters with one name share buckets exactly as they share Redis keys.
   */
  [MEMORY_NAMESPACE](prefix: string): MemoryStore {
    let namespace = this.#namespaces.get(prefix);
    if (namespace === undefined) {
      namespace = new MemoryStore({ max: this.#cache.max, now: this.#now });
      this.#namespaces.set(prefix, namespace);
      // Buckets decided through full keys before the limiter came move in with it, oldest first.
      for (const full of [...this.#cache.rkeys()]) {
        const key = callerKey(prefix, full);
        const state = this.#cache.peek(full);
        if (key === undefined || state === undefined) continue;
        if (full === this.#lastKey) this.#lastKey = this.#lastState = undefined;
        this.#cache.delete(full);
        namespace.#cache.set(key, state);
      }
    }
    return namespace;
  }

  /** A limiter's full key (`<prefix>{<name>:<key>}`, keys.ts) given to the store itself: its namespace, and the caller's key. */
  #namespaceOf(full: string): [MemoryStore, string] | undefined {
    if (full.charCodeAt(full.length - 1) !== 0x7d) return undefined; // '}': no full key without it
    for (const [prefix, namespace] of this.#namespaces) {
      const key = callerKey(prefix, full);
      if (key !== undefined) return [namespace, key];
    }
    return undefined;
  }

  /**
   * Decides `key` (any string; a limiter's full key `<prefix>{<name>:<key>}`
   * decides in that limiter's namespace, the same bucket the limiter uses).
   */
  consume(key: string, policies: CompiledPolicies, cost: number): StoreDecision {
    if (this.#namespaces.size !== 0) {
      const inner = this.#namespaceOf(key);
      if (inner !== undefined) return inner[0].consume(inner[1], policies, cost);
    }
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
    if (this.#namespaces.size !== 0) {
      const inner = this.#namespaceOf(key);
      if (inner !== undefined) return inner[0].reset(inner[1]);
    }
    if (key === this.#lastKey) this.#lastKey = this.#lastState = undefined;
    this.#cache.delete(key);
  }

  /** Forgets every key, in every namespace. */
  clear(): void {
    this.#lastKey = this.#lastState = undefined;
    this.#cache.clear();
    for (const namespace of this.#namespaces.values()) namespace.clear();
  }
}
