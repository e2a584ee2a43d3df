/**
 * @ward/cache — response caching for ward (in progress: issue "cache").
 * This first part: the cache keys and the memory store; the middleware
 * (`responseCache()`) and the Redis store come next.
 */
export { resourceKey, sortedQuery, variantKey, varyNames, type KeyParts, type QueryKeying } from './cache-key.js';
export type { CacheStore, CachedResponse } from './store.js';
export { MemoryCacheStore, entrySize, type MemoryCacheStoreOptions } from './memory-store.js';
