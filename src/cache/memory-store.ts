/**
 * The in-process response store: one lru-cache bounded by bytes
 * (`maxSize` with a size per entry: body, headers and key — DESIGN rule 9),
 * each entry expiring by its own TTL, and a tag index kept in step through
 * lru-cache's `dispose`, so evicted or expired entries leave no tag behind.
 */
import { describeValue } from '@ward/core';
import { LRUCache } from 'lru-cache';
import { type CacheEntry, type CacheStore, isVaryMarker } from './store.js';

/** Options of {@link MemoryCacheStore}. */
export interface MemoryCacheStoreOptions {
  /** Most bytes held (bodies, headers and keys); past it the least recently used entries go. Default: `67_108_864` (64 MiB). */
  maxSizeBytes?: number;
  /** The clock, in ms, always above 0 (lru-cache's TTL clock; 0 would read as "no TTL"). Default: `performance.now`. */
  now?: () => number;
}

/** Bytes one entry costs, roughly: what would be sent, plus the key. */
export function entrySize(key: string, entry: CacheEntry): number {
  if (isVaryMarker(entry)) return key.length + 64 + entry.vary.join(',').length;
  // The policy object holds a second copy of the headers: counted as such.
  let size = (typeof entry.body === 'string' ? Buffer.byteLength(entry.body) : entry.body.byteLength) + key.length + 256;
  for (const [name, value] of Object.entries(entry.headers)) size += 2 * (name.length + (typeof value === 'string' ? value.length : value.join(', ').length) + 4);
  return size;
}

export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  readonly #entries: LRUCache<string, CacheEntry>;
  readonly #byTag = new Map<string, Set<string>>();

  constructor(options: MemoryCacheStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`MemoryCacheStore(options) must be an object, got ${describeValue(options)}`);
    const maxSize = options.maxSizeBytes ?? 67_108_864;
    if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError(`MemoryCacheStore({ maxSizeBytes }) must be an integer ≥ 1, got ${describeValue(maxSize)}`);
    if (options.now !== undefined && typeof options.now !== 'function') throw new TypeError(`MemoryCacheStore({ now }) must be a function returning ms, got ${describeValue(options.now)}`);
    this.#entries = new LRUCache<string, CacheEntry>({
      maxSize,
      sizeCalculation: (entry, key) => Math.max(1, entrySize(key, entry)),
      // Forget tags with the entry, however it goes (evicted, expired, replaced, deleted).
      dispose: (entry, key) => this.#untag(key, entry.tags),
      // Read the clock at every check (lru-cache otherwise caches it for 1 ms behind a timer).
      ttlResolution: 0,
      ...(options.now === undefined ? {} : { perf: { now: options.now } }),
    });
  }

  get(key: string): CacheEntry | undefined {
    return this.#entries.get(key);
  }

  /** False when the entry was not kept: no TTL, or larger than the whole cache. */
  set(key: string, entry: CacheEntry, ttlMs: number): boolean {
    if (!(ttlMs > 0)) return false;
    this.#entries.set(key, entry, { ttl: Math.ceil(ttlMs) });
    // An entry larger than the whole cache is refused by lru-cache: then it has no tags either.
    if (!this.#entries.has(key)) return false;
    for (const tag of entry.tags) {
      let keys = this.#byTag.get(tag);
      if (keys === undefined) this.#byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
    return true;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  deletePrefix(prefix: string): void {
    for (const key of [...this.#entries.keys()]) if (key.startsWith(prefix)) this.#entries.delete(key);
  }

  deleteTag(tag: string): void {
    for (const key of [...(this.#byTag.get(tag) ?? [])]) this.#entries.delete(key);
  }

  /** Bytes held now. */
  get sizeBytes(): number {
    return this.#entries.calculatedSize;
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  #untag(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.#byTag.get(tag);
      if (keys === undefined) continue;
      keys.delete(key);
      if (keys.size === 0) this.#byTag.delete(tag);
    }
  }
}
