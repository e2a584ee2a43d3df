/**
 * The guard around a cache store (DESIGN.md rule 8): a deadline on every
 * asynchronous call (ioredis's offline queue or a frozen server must not
 * hold a request), failures counted by operation, and each episode — from
 * the first failure to the first success after it — reported once at its
 * start and once at its end. A failed read is a miss the cache bypasses;
 * no request fails because the cache did. A synchronous store (memory)
 * costs no promise and no timer.
 */
import { withDeadline } from '@ward/core';
import type { CacheMetrics, StoreOperation } from './metrics.js';
import type { CacheEntry, CacheStore } from './store.js';

/** How the store's health changed, as told to `onEvent`. */
export type StoreEvent =
  | { readonly type: 'store-degraded'; readonly cache: string; readonly store: string; readonly operation: StoreOperation; readonly error: unknown }
  | { readonly type: 'store-recovered'; readonly cache: string; readonly store: string; readonly downMs: number };

/** A read that failed: the cache is bypassed for this request. */
export const FAILED: unique symbol = Symbol('ward.cache.storeFailed');
export type Read = CacheEntry | undefined | typeof FAILED;

export class StoreGuard {
  readonly store: CacheStore;
  readonly #timeoutMs: number;
  readonly #metrics: CacheMetrics;
  readonly #cache: string;
  readonly #report: (event: StoreEvent) => void;
  /** When the current episode began, or -1 while healthy. */
  #downSince = -1;
  /**
   * What failed: reads or writes. Only a success of the same kind ends the
   * episode, so a store that serves reads but refuses writes (a read-only
   * replica) is one episode, not one per request.
   */
  #failedKind: 'read' | 'write' = 'read';

  constructor(store: CacheStore, cache: string, timeoutMs: number, metrics: CacheMetrics, report: (event: StoreEvent) => void) {
    this.store = store;
    this.#cache = cache;
    this.#timeoutMs = timeoutMs;
    this.#metrics = metrics;
    this.#report = report;
  }

  /** The entry at `key`, `undefined`, or {@link FAILED}; never throws or rejects. */
  get(key: string): Read | Promise<Read> {
    let answer: CacheEntry | undefined | Promise<CacheEntry | undefined>;
    try {
      answer = this.store.get(key);
    } catch (error) {
      return this.#failed('get', error);
    }
    if (!(answer instanceof Promise)) {
      if (this.#downSince !== -1) this.#ok('read');
      return answer;
    }
    return withDeadline(answer, this.#timeoutMs, `the ${this.store.kind} cache store`).then(
      (entry) => {
        if (this.#downSince !== -1) this.#ok('read');
        return entry;
      },
      (error: unknown) => this.#failed('get', error),
    );
  }

  /**
   * Runs a write (set, delete…); true when it succeeded, false when it failed
   * (counted, reported) or the store said it kept nothing (`false`).
   */
  write(operation: StoreOperation, run: (store: CacheStore) => void | boolean | Promise<void | boolean>): boolean | Promise<boolean> {
    let answer: void | boolean | Promise<void | boolean>;
    try {
      answer = run(this.store);
    } catch (error) {
      this.#failed(operation, error);
      return Promise.resolve(false);
    }
    if (!(answer instanceof Promise)) {
      if (this.#downSince !== -1) this.#ok('write');
      return answer !== false;
    }
    return withDeadline(answer, this.#timeoutMs, `the ${this.store.kind} cache store`).then(
      (kept) => {
        if (this.#downSince !== -1) this.#ok('write');
        return kept !== false;
      },
      (error: unknown) => {
        this.#failed(operation, error);
        return false;
      },
    );
  }

  #failed(operation: StoreOperation, error: unknown): typeof FAILED {
    this.#metrics.storeError(operation);
    if (this.#downSince === -1) {
      this.#downSince = Date.now();
      this.#failedKind = operation === 'get' ? 'read' : 'write';
      this.#tell({ type: 'store-degraded', cache: this.#cache, store: this.store.kind, operation, error });
    }
    return FAILED;
  }

  #ok(kind: 'read' | 'write'): void {
    if (kind !== this.#failedKind) return;
    const downMs = Date.now() - this.#downSince;
    this.#downSince = -1;
    this.#tell({ type: 'store-recovered', cache: this.#cache, store: this.store.kind, downMs });
  }

  #tell(event: StoreEvent): void {
    try {
      this.#report(event);
    } catch {
      // A throwing hook must not fail the request it was told about.
    }
  }
}
