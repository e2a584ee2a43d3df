/**
 * What a response cache keeps and where. At a resource's key a store holds
 * either one response, or — when the response said `Vary` — a marker naming
 * the varied request headers, whose values key the responses themselves
 * (one lookup without `Vary`, two with it). A store is anything that can
 * get, set and forget entries; memory and Redis implementations ship.
 */
import type CachePolicy from 'http-cache-semantics';

/** One stored response. */
export interface CachedResponse {
  readonly status: number;
  /** End-to-end headers as stored: lower-case names; hop-by-hop fields, `Set-Cookie`, `Age` and `Content-Length` never kept. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /**
   * The body: bytes, or the text the handler produced (kept as text so a hit
   * goes out in one write with its head, as the handler's own answer did).
   */
  readonly body: Uint8Array | string;
  /** The RFC 9111 policy (http-cache-semantics) deciding freshness and `Age`. */
  readonly policy: CachePolicy;
  /** Seconds past freshness this response may be served while one refresh runs; 0: never. */
  readonly staleWhileRevalidate: number;
  /** Seconds past freshness this response may stand in for a failing handler; 0: never. */
  readonly staleIfError: number;
  /**
   * May answer a request with credentials (`Authorization`, `Cookie`): the
   * response said `public`, `s-maxage` or `must-revalidate` (RFC 9111 §3.5).
   */
  readonly shareable: boolean;
  /** Tags for invalidation: the handler's (`ctx.state.cacheTags`, `Cache-Tag`) and the resource's own. */
  readonly tags: readonly string[];
}

/** Stands at a resource's key when its response varies: the request headers that pick the variant. */
export interface VaryMarker {
  readonly vary: readonly string[];
  readonly tags: readonly string[];
}

export type CacheEntry = CachedResponse | VaryMarker;

/** True for a {@link VaryMarker}. */
export function isVaryMarker(entry: CacheEntry): entry is VaryMarker {
  return (entry as Partial<CachedResponse>).policy === undefined;
}

/** A response-cache store. Every method may answer synchronously or with a promise. */
export interface CacheStore {
  /** `'memory'`, `'redis'`, …: a metric label. */
  readonly kind: string;
  get(key: string): CacheEntry | undefined | Promise<CacheEntry | undefined>;
  /**
   * Keeps `entry` for `ttlMs` (its freshness plus any stale window), then
   * forgets it by itself. May answer `false` when it did not keep it (the
   * memory store, for an entry larger than the whole cache).
   */
  set(key: string, entry: CacheEntry, ttlMs: number): void | boolean | Promise<void | boolean>;
  delete(key: string): void | Promise<void>;
  /** Forgets every entry whose key starts with `prefix`. */
  deletePrefix(prefix: string): void | Promise<void>;
  /** Forgets every entry tagged `tag`. */
  deleteTag(tag: string): void | Promise<void>;
  /** Bytes held, where the store knows it (the memory store): the stored-bytes gauge. */
  readonly sizeBytes?: number;
  /**
   * A short lock shared by a fleet, so one process runs a missing entry's
   * handler: resolves to a release function when taken, `undefined` when
   * another holder has it. Optional (the Redis store has it).
   */
  lock?(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
  /**
   * True while someone holds the key's {@link lock}. Lets a process that
   * found the lock taken stop waiting as soon as the holder releases it
   * without storing anything (a private answer): it then runs the handler
   * itself. Optional; without it, a waiter polls for the entry until the
   * lock's TTL passes.
   */
  locked?(key: string): Promise<boolean>;
}
