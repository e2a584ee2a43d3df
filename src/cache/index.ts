/**
 * @ward/cache — a shared response cache for ward, RFC 9111-correct through
 * http-cache-semantics: memory (lru-cache, bounded by bytes) and Redis
 * stores, `Cache-Status` and `X-Cache`, ETags and 304s, single-flight
 * misses, stale-while-revalidate and stale-if-error, invalidation by
 * resource, prefix, tag and user.
 */
export { createResponseCache, responseCache, type ResponseCache } from './response-cache.js';
export { DEFAULT_KEY_HEADERS, DEFAULT_STATUSES, type CacheEvent, type ResponseCacheOptions } from './options.js';
export { queryKeying, resourceKey, resourcePath, sortedQuery, variantKey, varyNames, type KeyParts, type QueryKeying } from './cache-key.js';
export { isVaryMarker, type CacheEntry, type CacheStore, type CachedResponse, type VaryMarker } from './store.js';
export { MemoryCacheStore, entrySize, type MemoryCacheStoreOptions } from './memory-store.js';
export { CacheError, isCacheError, type CacheErrorCode } from './errors.js';
export type { BypassReason, CacheResult, Forward } from './cache-status.js';
export type { NotStoredReason } from './freshness.js';
export type { StoreEvent } from './store-guard.js';
export { isCacheRefresh, REFRESH_HEADER } from './refresh.js';
export { RedisCacheStore, decodeEntry, encodeEntry, type CacheRedisClient, type RedisCacheStoreOptions } from './redis-store.js';
