/**
 * What a response cache keeps and where. An entry is one stored response
 * (status, end-to-end headers, body bytes) with the RFC 9111 policy object
 * that decides its freshness (http-cache-semantics' `toObject()`); a store
 * is anything that can get, set and forget entries. Memory and Redis
 * implementations ship.
 */

/** One stored response. */
export interface CachedResponse {
  readonly status: number;
  /** End-to-end headers as stored (lower-case names; hop-by-hop and `Set-Cookie` never kept). */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Uint8Array;
  /** http-cache-semantics' serialised policy: freshness, `Age`, revalidation. */
  readonly policy: Readonly<Record<string, unknown>>;
  /** Tags for invalidation (`ctx.state.cacheTags`). */
  readonly tags: readonly string[];
}

/** A response-cache store. */
export interface CacheStore {
  /** `'memory'`, `'redis'`, …: a metric label. */
  readonly kind: string;
  get(key: string): CachedResponse | undefined | Promise<CachedResponse | undefined>;
  /** Keeps `entry` for `ttlMs` (its freshness plus any stale window), then forgets it by itself. */
  set(key: string, entry: CachedResponse, ttlMs: number): void | Promise<void>;
  delete(key: string): void | Promise<void>;
  /** Forgets every entry whose key starts with `prefix`. */
  deletePrefix(prefix: string): void | Promise<void>;
  /** Forgets every entry tagged `tag`. */
  deleteTag(tag: string): void | Promise<void>;
}
