/**
 * The options of `createResponseCache()`/`responseCache()`, every one with
 * its default, validated once at configuration: a wrong type or an unknown
 * option is a TypeError, a bad value a RangeError, each naming the option.
 */
import { type Context, describeValue } from '@ward/core';
import { type MetricsRegistry, resolvePrefix, resolveRegistry } from '@ward/metrics';
import { type QueryKeying, queryKeying } from './cache-key.js';
import type { StoreRules } from './freshness.js';
import { MemoryCacheStore } from './memory-store.js';
import type { StoreEvent } from './store-guard.js';
import type { CacheStore } from './store.js';

/** What `onEvent` is told besides store episodes. */
export type CacheEvent =
  | StoreEvent
  /** A background refresh (stale-while-revalidate) finished: `stored` tells whether a new entry was kept. */
  | { readonly type: 'refreshed'; readonly cache: string; readonly path: string; readonly stored: boolean }
  /** A background refresh could not run or failed (the stale entry stays until its window ends). */
  | { readonly type: 'refresh-failed'; readonly cache: string; readonly path: string; readonly error: unknown }
  /** A stale entry stood in for a handler that threw or answered 5xx. */
  | { readonly type: 'stale-if-error'; readonly cache: string; readonly path: string; readonly status: number | undefined; readonly error: unknown };

/** The RFC 9110 §15.1 statuses cacheable by default (206 aside: ranges are not cached). */
export const DEFAULT_STATUSES: readonly number[] = [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501];

/**
 * Request fields that change what many apps answer but are not part of the
 * URL (the unkeyed inputs of web cache poisoning): each is part of the key
 * when a request carries it, so a forged one can only reach its own entry.
 */
export const DEFAULT_KEY_HEADERS: readonly string[] = [
  'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-scheme', 'x-forwarded-port', 'x-forwarded-prefix',
  'x-original-url', 'x-rewrite-url', 'x-http-method-override',
];

export interface ResponseCacheOptions {
  /** Where entries live. Default: a new `MemoryCacheStore()` (64 MiB). */
  store?: CacheStore;
  /** The `cache` label of metrics and the name in events: 1–64 of `[A-Za-z0-9_.-]`. Default: `'default'`. */
  name?: string;
  /**
   * Seconds of freshness for a response that states none (no `max-age`,
   * `s-maxage` or `Expires`). Default: `0`: such responses are not stored
   * (RFC 9111 §4.2: no explicit freshness, no reuse).
   */
  defaultMaxAge?: number;
  /** Seconds a stale entry is served while one background refresh runs, when the response does not say (`stale-while-revalidate`). Default: `0`. */
  staleWhileRevalidate?: number;
  /** Seconds a stale entry may stand in for a handler that throws or answers 5xx, when the response does not say (`stale-if-error`). Default: `0`. */
  staleIfError?: number;
  /** Statuses that may be stored. Default: {@link DEFAULT_STATUSES}. */
  statuses?: readonly number[];
  /** Largest body stored, in bytes; larger ones pass through. Default: `1_048_576` (1 MiB). */
  maxBodyBytes?: number;
  /** How the query takes part in the key. Default: `'sorted'`. */
  query?: QueryKeying;
  /**
   * A per-user cache: the key includes the authenticated user id
   * (`ctx.state.user.id`, or your function's answer), so a user is only ever
   * served their own answers, and `private` responses are stored for their
   * user. Requests without a user use the shared rules. Default: `false`.
   */
  perUser?: boolean | ((ctx: Context) => string | undefined);
  /**
   * The request's own `Cache-Control`: `'honor'` (RFC 9111 §5.2.1: `no-cache`
   * and `max-age=0` run the handler, `no-store` keeps nothing), or `'ignore'`
   * (clients cannot force the handler to run: for abuse-prone routes).
   * Default: `'honor'`.
   */
  requestCacheControl?: 'honor' | 'ignore';
  /** Request headers keyed whenever present. Default: {@link DEFAULT_KEY_HEADERS}. */
  keyHeaders?: readonly string[];
  /** A response header the handler may set to tag the entry (`Cache-Tag: users, user:42`); removed before sending. `false`: none. Default: `'cache-tag'`. */
  tagHeader?: string | false;
  /** The cache's name in `Cache-Status` (RFC 9211). Default: `'ward'`. */
  cacheStatusName?: string;
  /** Send `X-Cache: HIT|MISS|STALE|BYPASS` too. Default: `true`. */
  xCache?: boolean;
  /** Add a strong ETag (a hash of the body) to 200 answers without one. Default: `true`. */
  etag?: boolean;
  /** Concurrent misses of one key wait for the first one's handler, at most this long (ms); `0`: no coalescing. Default: `5_000`. */
  collapseTimeoutMs?: number;
  /**
   * With a store that has `lock()` (Redis): a miss takes a fleet-wide lock
   * for `ttlMs`, so one process runs the handler; the others poll the store
   * every `pollMs` until the entry appears or the lock is gone (released by
   * a holder that stored nothing, or expired), then run it themselves
   * (nginx `proxy_cache_lock` semantics). Default: `false`.
   */
  fleetLock?: false | { ttlMs?: number; pollMs?: number };
  /** The longest a store call may take (ms) before the cache is bypassed. Default: `50`. */
  storeTimeoutMs?: number;
  /** The longest a background refresh may run (ms). Default: `10_000`. */
  refreshTimeoutMs?: number;
  /**
   * Told of store episodes (once when it starts failing, once when it
   * answers again), background refreshes and stale-if-error answers. A hook
   * that throws is ignored. Default: a `process.emitWarning` per store
   * episode (code `WARD_CACHE_STORE`).
   */
  onEvent?: (event: CacheEvent) => void;
  /** Clock for freshness and `Age`, in ms since the epoch. Default: `Date.now`. */
  now?: () => number;
  /** The prom-client registry. Default: prom-client's global registry. */
  registry?: MetricsRegistry;
  /** Metric name prefix. Default: `'ward_'`. */
  prefix?: string;
}

export interface ResolvedCacheOptions {
  readonly store: CacheStore;
  readonly name: string;
  readonly rules: StoreRules;
  readonly query: (raw: string) => string;
  readonly perUser: ((ctx: Context) => string | undefined) | undefined;
  readonly honorRequest: boolean;
  readonly keyHeaders: readonly string[];
  readonly tagHeader: string | undefined;
  readonly statusName: string;
  readonly xCache: boolean;
  readonly etag: boolean;
  readonly collapseTimeoutMs: number;
  readonly fleetLock: { readonly ttlMs: number; readonly pollMs: number } | undefined;
  readonly storeTimeoutMs: number;
  readonly refreshTimeoutMs: number;
  readonly onEvent: (event: CacheEvent) => void;
  readonly now: () => number;
  readonly registry: MetricsRegistry;
  readonly prefix: string;
}

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'store', 'name', 'defaultMaxAge', 'staleWhileRevalidate', 'staleIfError', 'statuses', 'maxBodyBytes', 'query', 'perUser',
  'requestCacheControl', 'keyHeaders', 'tagHeader', 'cacheStatusName', 'xCache', 'etag', 'collapseTimeoutMs', 'fleetLock',
  'storeTimeoutMs', 'refreshTimeoutMs', 'onEvent', 'now', 'registry', 'prefix',
]);
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SF_TOKEN = /^[A-Za-z*][!#$%&'*+.^_`|~0-9A-Za-z:/-]*$/;

function integer(value: unknown, where: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${where} must be a number, got ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${where} must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
  return value;
}

function boolean(value: unknown, where: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${where} must be true or false, got ${describeValue(value)}`);
  return value;
}

function headerNames(value: unknown, where: string): readonly string[] {
  if (value === undefined) return DEFAULT_KEY_HEADERS;
  if (!Array.isArray(value)) throw new TypeError(`${where} must be an array of header names, got ${describeValue(value)}`);
  return value.map((name: unknown, i) => {
    if (typeof name !== 'string' || !TOKEN.test(name)) throw new TypeError(`${where}[${i}] must be a header name, got ${describeValue(name)}`);
    return name.toLowerCase();
  });
}

function userOf(ctx: Context): string | undefined {
  const id = (ctx.state as { user?: { id?: unknown } }).user?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

function warn(event: CacheEvent): void {
  if (event.type === 'store-degraded') {
    const detail = event.error instanceof Error ? event.error.message : String(event.error);
    process.emitWarning(`@ward/cache (${event.cache}): the ${event.store} store failed (${event.operation}: ${detail}); requests bypass the cache until it answers again`, { code: 'WARD_CACHE_STORE' });
  } else if (event.type === 'store-recovered') {
    process.emitWarning(`@ward/cache (${event.cache}): the ${event.store} store answers again after ${event.downMs} ms`, { code: 'WARD_CACHE_STORE' });
  }
}

export function resolveCacheOptions(options: ResponseCacheOptions, where = 'responseCache(options)'): ResolvedCacheOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where} must be an object, got ${describeValue(options)}`);
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) throw new TypeError(`${where} has an unknown option ${JSON.stringify(key)}; known: ${[...OPTION_NAMES].join(', ')}`);
  }
  const store: CacheStore = options.store ?? new MemoryCacheStore();
  if (typeof store !== 'object' || store === null || typeof store.get !== 'function' || typeof store.set !== 'function' || typeof store.deleteTag !== 'function') {
    throw new TypeError(`${where}.store must be a CacheStore (MemoryCacheStore, RedisCacheStore…), got ${describeValue(store)}`);
  }
  const name = options.name ?? 'default';
  if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError(`${where}.name must be 1–64 of [A-Za-z0-9_.-], got ${describeValue(name)}`);
  const statuses = options.statuses ?? DEFAULT_STATUSES;
  if (!Array.isArray(statuses) || statuses.some((s) => !Number.isInteger(s) || s < 200 || s > 599)) {
    throw new TypeError(`${where}.statuses must be an array of final statuses (200–599), got ${describeValue(statuses)}`);
  }
  const perUser = options.perUser;
  if (perUser !== undefined && typeof perUser !== 'boolean' && typeof perUser !== 'function') {
    throw new TypeError(`${where}.perUser must be true, false or a function (ctx) => user id, got ${describeValue(perUser)}`);
  }
  const requestCacheControl = options.requestCacheControl ?? 'honor';
  if (requestCacheControl !== 'honor' && requestCacheControl !== 'ignore') {
    throw new TypeError(`${where}.requestCacheControl must be 'honor' or 'ignore', got ${describeValue(requestCacheControl)}`);
  }
  const tagHeader = options.tagHeader ?? 'cache-tag';
  if (tagHeader !== false && (typeof tagHeader !== 'string' || !TOKEN.test(tagHeader))) {
    throw new TypeError(`${where}.tagHeader must be a header name or false, got ${describeValue(tagHeader)}`);
  }
  const statusName = options.cacheStatusName ?? 'ward';
  if (typeof statusName !== 'string' || !SF_TOKEN.test(statusName)) {
    throw new TypeError(`${where}.cacheStatusName must be a structured-field token (RFC 9651), got ${describeValue(statusName)}`);
  }
  let fleetLock: ResolvedCacheOptions['fleetLock'];
  const lock = options.fleetLock ?? false;
  if (lock !== false) {
    if (typeof lock !== 'object' || lock === null) throw new TypeError(`${where}.fleetLock must be false or { ttlMs, pollMs }, got ${describeValue(lock)}`);
    if (typeof store.lock !== 'function') throw new TypeError(`${where}.fleetLock needs a store with lock() (RedisCacheStore); ${store.kind} has none`);
    const ttlMs = integer(lock.ttlMs, `${where}.fleetLock.ttlMs`, 10, 60_000, 2_000);
    fleetLock = { ttlMs, pollMs: integer(lock.pollMs, `${where}.fleetLock.pollMs`, 1, ttlMs, 25) };
  }
  const onEvent = options.onEvent ?? warn;
  if (typeof onEvent !== 'function') throw new TypeError(`${where}.onEvent must be a function (event) => void, got ${describeValue(onEvent)}`);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError(`${where}.now must be a function returning ms, got ${describeValue(now)}`);
  const day = 86_400;
  return {
    store,
    name,
    rules: {
      statuses: new Set(statuses),
      maxBodyBytes: integer(options.maxBodyBytes, `${where}.maxBodyBytes`, 0, 512 * 1024 * 1024, 1_048_576),
      defaultMaxAge: integer(options.defaultMaxAge, `${where}.defaultMaxAge`, 0, 365 * day, 0),
      staleWhileRevalidate: integer(options.staleWhileRevalidate, `${where}.staleWhileRevalidate`, 0, 365 * day, 0),
      staleIfError: integer(options.staleIfError, `${where}.staleIfError`, 0, 365 * day, 0),
    },
    query: queryKeying(options.query, where),
    perUser: perUser === true ? userOf : typeof perUser === 'function' ? perUser : undefined,
    honorRequest: requestCacheControl === 'honor',
    keyHeaders: headerNames(options.keyHeaders, `${where}.keyHeaders`),
    tagHeader: tagHeader === false ? undefined : tagHeader.toLowerCase(),
    statusName,
    xCache: boolean(options.xCache, `${where}.xCache`, true),
    etag: boolean(options.etag, `${where}.etag`, true),
    collapseTimeoutMs: integer(options.collapseTimeoutMs, `${where}.collapseTimeoutMs`, 0, 600_000, 5_000),
    fleetLock,
    storeTimeoutMs: integer(options.storeTimeoutMs, `${where}.storeTimeoutMs`, 1, 60_000, 50),
    refreshTimeoutMs: integer(options.refreshTimeoutMs, `${where}.refreshTimeoutMs`, 1, 600_000, 10_000),
    onEvent,
    now,
    registry: resolveRegistry(options.registry, `${where}.registry`),
    prefix: resolvePrefix(options.prefix, `${where}.prefix`),
  };
}
