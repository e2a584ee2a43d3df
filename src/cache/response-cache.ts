/**
 * `createResponseCache()` / `responseCache()`: a shared response cache in
 * front of handlers, on every adapter (it reads the answer after `next()`,
 * DESIGN.md rule 2).
 *
 * Per GET or HEAD: one key (freshness, `Age` and storability come from
 * http-cache-semantics through freshness.ts), one store read (two when the
 * response varies), then
 * - fresh → the stored answer (`X-Cache: HIT`), or a 304 when the client's
 *   copy is current;
 * - stale within stale-while-revalidate → the stored answer now
 *   (`X-Cache: STALE`) and one background refresh (refresh.ts);
 * - otherwise the handler runs once for all concurrent misses of the key
 *   (single-flight), its answer is stored when the rules allow, and a stale
 *   entry stands in when the handler fails within stale-if-error.
 * Unsafe methods that succeed invalidate their target (RFC 9111 §4.4). A
 * failing store is bypassed (store-guard.ts) and an entry that cannot be
 * served (damaged) is a miss: no request fails because the cache did.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type Context, defineMiddleware, markFactory, type Middleware, type Next, parseHttpDate, withDeadline } from '@ward/core';
import { keyPart, resourceKey, resourcePath, variantKey, varyNames } from './cache-key.js';
import { type BypassReason, type CacheResult, type Forward, forwardStatus, hitStatus } from './cache-status.js';
import { flatHeaders, handlerTags, isFieldValue, isToken, resourceTag, same, storedHeaders, userTag } from './entry.js';
import { CacheError, onlyIfCachedMiss } from './errors.js';
import {
  clockedPolicy,
  decideStorage,
  mayServeOnError,
  NO_REQUEST_DIRECTIVES,
  type NotStoredReason,
  type RequestDirectives,
  requestDirectives,
  use,
} from './freshness.js';
import { type CacheMetrics, cacheMetrics } from './metrics.js';
import { type ResolvedCacheOptions, type ResponseCacheOptions, resolveCacheOptions } from './options.js';
import { backgroundRefresh, REFRESH_HEADER, refreshToken } from './refresh.js';
import { FAILED, type Read, StoreGuard } from './store-guard.js';
import { type CachedResponse, type CacheStore, isVaryMarker, type VaryMarker } from './store.js';
import { NOT_MODIFIED_DROPS, notModified, strongEtag } from './validators.js';

declare module '@ward/core' {
  interface WardState {
    /** Tags for the entry this answer makes (`cache.invalidateTag('users')`), set by the handler; read by `@ward/cache`. */
    cacheTags?: string[];
  }
}

/** A response cache: its middleware and its invalidation API. */
export interface ResponseCache {
  /** The middleware: put it where the answers to cache pass (app-wide, a group, a route). */
  readonly middleware: Middleware;
  /** The store it uses. */
  readonly store: CacheStore;
  /**
   * Forgets one resource on every host, for every user, in every variant:
   * `target` is a path with an optional query (`/api/v1/users?page=2`),
   * normalised as keys are.
   * @throws CacheError `CACHE_STORE_UNAVAILABLE` when the store failed.
   */
  invalidate(target: string): Promise<void>;
  /** Forgets every entry whose path starts with `pathPrefix` (on Redis: a SCAN; prefer tags on hot paths). */
  invalidatePrefix(pathPrefix: string): Promise<void>;
  /** Forgets every entry tagged `tag` (`ctx.state.cacheTags` or the `Cache-Tag` header). */
  invalidateTag(tag: string): Promise<void>;
  /** Forgets every entry of one user (per-user caches). */
  invalidateUser(id: string): Promise<void>;
}

/** Statuses stale-if-error stands in for (RFC 5861 §4). */
const ERROR_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
/** Request fields that are credentials: their answers are shared only when the response says so (RFC 9111 §3.5). */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie']);
const NO_ERROR: unique symbol = Symbol('none');

/** How a miss goes on: why the handler runs, the stale entry that may stand in, what the request forbids. */
interface Miss {
  readonly base: string;
  readonly user: string | undefined;
  readonly fwd: Forward;
  readonly stale: CachedResponse | undefined;
  readonly noStore: boolean;
  readonly credentialed: boolean;
  readonly request: RequestDirectives;
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
}

function hasCredentials(ctx: Context): boolean {
  const headers = ctx.req.headers;
  return headers.authorization !== undefined || headers.cookie !== undefined || (ctx.state as { user?: unknown }).user !== undefined;
}

/** A credential's value in a key: its hash, never the secret itself. */
function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}

/**
 * A request field by a name that came from elsewhere (a response's `Vary`,
 * the options): own properties only, so `Vary: Constructor` or `__proto__`
 * reads the request's field, never something `Object.prototype` has.
 */
function requestField(headers: IncomingHttpHeaders, name: string): string | undefined {
  if (!Object.hasOwn(headers, name)) return undefined;
  const raw: unknown = headers[name];
  if (typeof raw === 'string') return raw;
  return Array.isArray(raw) ? raw.join(', ') : undefined;
}

function variantOf(names: readonly string[], headers: IncomingHttpHeaders): string {
  return variantKey(names, (name) => {
    const value = requestField(headers, name);
    return value !== undefined && CREDENTIAL_HEADERS.has(name) ? digest(value) : value;
  });
}

/**
 * True when a stored response can be written as it is: a status the cache
 * stores, a body, field names node takes and values without CR, LF or NUL.
 * A stored entry that is not (a damaged Redis value, a store of one's own)
 * is a miss: the handler answers and its answer replaces it.
 */
function servable(entry: CachedResponse): boolean {
  // A memory store hands back the same object on every hit: checked once.
  if (checked.has(entry)) return true;
  if (!checkServable(entry)) return false;
  checked.add(entry);
  return true;
}

/** Entries already found servable. */
const checked = new WeakSet<CachedResponse>();

function checkServable(entry: CachedResponse): boolean {
  const { status, headers, body } = entry;
  if (!Number.isInteger(status) || status < 200 || status > 599) return false;
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return false;
  if (typeof headers !== 'object' || headers === null) return false;
  for (const name of Object.keys(headers)) if (!isToken(name) || !isFieldValue(headers[name])) return false;
  return true;
}

function rawQuery(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? '' : url.slice(q + 1);
}

/** Puts the response's fields back as they were in `snapshot` (a `res.headers()`): a stored answer that could not be written leaves nothing behind. */
function restoreHeaders(ctx: Context, snapshot: ReturnType<Context['res']['headers']>): void {
  const res = ctx.res;
  try {
    for (const name of Object.keys(res.headers())) if (!Object.hasOwn(snapshot, name)) res.removeHeader(name);
    for (const name of Object.keys(snapshot)) {
      const value = snapshot[name];
      if (value !== undefined) res.setHeader(name, value);
    }
  } catch {
    // They were on the response before: putting them back does not throw.
  }
}

/** The answer a fresh or stored response makes, unless the client's copy is current (then a 304 without content). */
function answerConditionally(ctx: Context, status: number, body: Uint8Array | string | undefined): void {
  const res = ctx.res;
  if (status === 200 && notModified(ctx.req.headers, res.header('etag'), res.header('last-modified'))) {
    for (const name of NOT_MODIFIED_DROPS) res.removeHeader(name);
    res.status = 304;
    res.body = undefined;
    return;
  }
  res.status = status;
  if (body !== undefined) res.body = body;
}

class Cache {
  readonly o: ResolvedCacheOptions;
  readonly guard: StoreGuard;
  readonly metrics: CacheMetrics;
  /** Misses running their handler now, by key: later misses of the key wait for them. */
  readonly flights = new Map<string, Promise<void>>();
  /** Keys with a background refresh on the way. */
  readonly refreshing = new Set<string>();
  readonly token = refreshToken();
  readonly Policy: ReturnType<typeof clockedPolicy>;

  constructor(options: ResolvedCacheOptions) {
    this.o = options;
    this.metrics = cacheMetrics(options.registry, options.prefix, options.name, options.store.kind);
    this.Policy = clockedPolicy(options.now);
    this.guard = new StoreGuard(options.store, options.name, options.storeTimeoutMs, this.metrics, options.onEvent);
  }

  handle(ctx: Context, next: Next): Promise<void> {
    const method = ctx.req.method;
    if (method !== 'GET' && method !== 'HEAD') return SAFE_METHODS.has(method) ? this.uncached(ctx, next) : this.unsafe(ctx, next);
    const headers = ctx.req.headers;
    const user = this.o.perUser?.(ctx);
    const base = this.keyOf(ctx, user);
    if (headers[REFRESH_HEADER] === this.token) {
      return this.run(ctx, next, { base, user, fwd: 'stale', stale: undefined, noStore: false, credentialed: user === undefined && hasCredentials(ctx), request: NO_REQUEST_DIRECTIVES });
    }
    let request = NO_REQUEST_DIRECTIVES;
    let noStore = false;
    if (this.o.honorRequest && (headers['cache-control'] !== undefined || headers.pragma !== undefined)) {
      const parsed = requestDirectives(headers['cache-control'], headers.pragma as string | undefined);
      request = parsed;
      noStore = parsed.noStore;
    }
    if (hasBody(headers)) return this.bypass(ctx, next, 'request-body');
    const found = this.guard.get(base);
    if (found instanceof Promise) return found.then((read) => this.resolved(ctx, next, base, user, read, request, noStore));
    return this.resolved(ctx, next, base, user, found, request, noStore);
  }

  /** `path?query|scheme://host`, the keyed forwarding headers present, the user. */
  keyOf(ctx: Context, user: string | undefined): string {
    const headers = ctx.req.headers;
    let key = resourceKey({ scheme: ctx.req.secure ? 'https' : 'http', host: headers.host ?? '', path: ctx.req.path, query: rawQuery(ctx.req.url) }, this.o.query);
    for (const name of this.o.keyHeaders) {
      if (!Object.hasOwn(headers, name)) continue;
      const value: unknown = headers[name];
      if (typeof value === 'string' || Array.isArray(value)) key += `|${name}=${keyPart(Array.isArray(value) ? value.join(',') : value)}`;
    }
    if (user !== undefined) key += `|user=${JSON.stringify(user)}`;
    return key;
  }

  /** After the resource's key was read: follow a Vary marker to the variant, then decide. */
  resolved(ctx: Context, next: Next, base: string, user: string | undefined, read: Read, request: RequestDirectives, noStore: boolean): Promise<void> {
    if (read === FAILED) return this.bypass(ctx, next, 'store-error');
    if (read !== undefined && isVaryMarker(read)) {
      const variant = this.guard.get(base + variantOf(read.vary, ctx.req.headers));
      if (variant instanceof Promise) return variant.then((entry) => this.decide(ctx, next, base, user, entry, 'vary-miss', request, noStore));
      return this.decide(ctx, next, base, user, variant, 'vary-miss', request, noStore);
    }
    return this.decide(ctx, next, base, user, read, 'uri-miss', request, noStore);
  }

  decide(ctx: Context, next: Next, base: string, user: string | undefined, read: Read, missing: Forward, request: RequestDirectives, noStore: boolean): Promise<void> {
    if (read === FAILED) return this.bypass(ctx, next, 'store-error');
    const credentialed = user === undefined && hasCredentials(ctx);
    let fwd = missing;
    let stale: CachedResponse | undefined;
    const entry = read === undefined || isVaryMarker(read) ? undefined : read;
    if (entry !== undefined) {
      if (!credentialed || entry.shareable) {
        // An entry that cannot be served (damaged) is as good as none: the handler answers and replaces it.
        const now = this.usable(entry, entry.staleWhileRevalidate, request);
        if (now?.use === 'fresh') {
          if (this.serve(ctx, entry, 'HIT', hitStatus(this.o.statusName, now.ttl), now.age)) return Promise.resolve();
        } else if (now?.use === 'revalidate') {
          if (this.serve(ctx, entry, 'STALE', hitStatus(this.o.statusName, now.ttl), now.age)) {
            this.refresh(ctx, base);
            return Promise.resolve();
          }
        } else if (now !== undefined) {
          fwd = request.noCache || request.maxAge !== undefined || request.minFresh !== undefined ? 'request' : 'stale';
          stale = entry;
        }
      } else {
        fwd = 'miss';
      }
    }
    if (request.onlyIfCached) {
      ctx.problem(onlyIfCachedMiss());
      return Promise.resolve();
    }
    return this.miss(ctx, next, { base, user, fwd, stale, noStore, credentialed, request });
  }

  /**
   * Answers from a stored response: its fields, `Age`, the cache's own
   * fields, then its body (or a 304). False when it cannot (a damaged
   * entry): then nothing of it is left on the response, and the caller
   * treats the entry as a miss.
   */
  serve(ctx: Context, entry: CachedResponse, result: 'HIT' | 'STALE', cacheStatus: string, age: number): boolean {
    if (!servable(entry)) return false;
    const res = ctx.res;
    try {
      const headers = entry.headers;
      for (const name of Object.keys(headers)) res.setHeader(name, headers[name]!);
      res.setHeader('age', String(Math.max(0, Math.floor(age))));
      this.mark(ctx, result, cacheStatus);
      // The status and body were checked (servable): only the fields above can have thrown.
      answerConditionally(ctx, entry.status, entry.body);
    } catch {
      // Checked (servable), so this is a store of one's own handing back something odd: leave nothing of it.
      for (const name of Object.keys(entry.headers)) res.removeHeader(name);
      res.removeHeader('age');
      return false;
    }
    this.metrics.result[result === 'HIT' ? 'hit' : 'stale'].inc();
    return true;
  }

  /** A miss: wait for the key's running handler when there is one, else run it. */
  miss(ctx: Context, next: Next, miss: Miss): Promise<void> {
    if (this.o.collapseTimeoutMs > 0 && !miss.credentialed && !miss.noStore && miss.fwd !== 'request') {
      const flight = this.flights.get(miss.base);
      if (flight !== undefined) return this.wait(ctx, next, miss, flight);
    }
    return this.lead(ctx, next, miss);
  }

  /** Waits for another request's handler, then serves what it stored; runs its own handler when nothing usable came of it. */
  async wait(ctx: Context, next: Next, miss: Miss, flight: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([flight, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.o.collapseTimeoutMs)))]);
    clearTimeout(timer);
    if (ctx.signal.aborted) return;
    const served = await this.collapsed(ctx, miss);
    if (served === true) return;
    // The store failed while this request waited: the handler answers, as for any store failure.
    if (served === FAILED) return this.bypass(ctx, next, 'store-error');
    return this.lead(ctx, next, miss);
  }

  /**
   * Serves what another request's handler run stored for this request (its
   * variant, fresh): true when it did, false when nothing usable is stored,
   * {@link FAILED} when the store failed.
   */
  async collapsed(ctx: Context, miss: Miss): Promise<boolean | typeof FAILED> {
    let read = await this.guard.get(miss.base);
    if (read !== undefined && read !== FAILED && isVaryMarker(read)) read = await this.guard.get(miss.base + variantOf(read.vary, ctx.req.headers));
    if (read === FAILED) return FAILED;
    if (read === undefined || isVaryMarker(read)) return false;
    const now = this.usable(read, 0, miss.request);
    if (now?.use !== 'fresh') return false;
    if (!this.serve(ctx, read, 'HIT', forwardStatus(this.o.statusName, miss.fwd, { collapsed: true, ttl: now.ttl }), now.age)) return false;
    this.metrics.collapsed.inc();
    return true;
  }

  /** Runs the handler as the key's flight (when none runs yet), with the fleet lock when configured. */
  async lead(ctx: Context, next: Next, miss: Miss): Promise<void> {
    if (miss.credentialed || miss.noStore || this.flights.has(miss.base)) return this.run(ctx, next, miss);
    let land!: () => void;
    this.flights.set(miss.base, new Promise<void>((resolve) => (land = resolve)));
    try {
      const lock = this.o.fleetLock;
      if (lock === undefined) return await this.run(ctx, next, miss);
      const release = await this.takeLock(miss.base, lock.ttlMs);
      if (release !== undefined) {
        try {
          return await this.run(ctx, next, miss);
        } finally {
          // Bounded like every store call: a frozen Redis must not hold the answer (the lock expires by itself).
          await withDeadline(release(), this.o.storeTimeoutMs, `the ${this.o.store.kind} cache store's unlock`).catch(() => undefined);
        }
      }
      // Another process runs the handler: its entry is polled for until the lock is gone (released, or
      // expired: the lock's TTL bounds the wait either way). A holder that stored nothing (a private
      // answer) releases the lock without an entry: this request then runs its own handler at once.
      const until = Date.now() + lock.ttlMs;
      while (Date.now() < until && !ctx.signal.aborted) {
        await new Promise((resolve) => setTimeout(resolve, lock.pollMs));
        const served = await this.collapsed(ctx, miss);
        if (served === true) return;
        if (served === FAILED) break;
        const held = await this.lockHeld(miss.base);
        if (held) continue;
        // Gone: one last look, for an entry stored just before the release.
        if (held === false && (await this.collapsed(ctx, miss)) === true) return;
        break;
      }
      return await this.run(ctx, next, miss);
    } finally {
      this.flights.delete(miss.base);
      land();
    }
  }

  /**
   * Whether another process still holds the key's fleet lock: true (keep
   * waiting; also when the store cannot tell, having no `locked()`: the
   * lock's TTL then ends the wait), false (released or expired), `undefined`
   * when the store failed (stop waiting).
   */
  async lockHeld(key: string): Promise<boolean | undefined> {
    const store = this.o.store;
    if (typeof store.locked !== 'function') return true;
    try {
      return await withDeadline(store.locked(key), this.o.storeTimeoutMs, `the ${store.kind} cache store's lock`);
    } catch {
      // A cache failure never holds a request: run the handler.
      this.metrics.storeError('lock');
      return undefined;
    }
  }

  async takeLock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    try {
      return await withDeadline(this.o.store.lock!(key, ttlMs), this.o.storeTimeoutMs, `the ${this.o.store.kind} cache store's lock`);
    } catch {
      // No lock to be had: this process runs the handler (a cache failure never holds a request).
      this.metrics.storeError('lock');
      return async () => undefined;
    }
  }

  /** Runs the handler, stores its answer when the rules allow, stands a stale entry in for a failure. */
  async run(ctx: Context, next: Next, miss: Miss): Promise<void> {
    const res = ctx.res;
    const before = res.headers();
    let failure: unknown = NO_ERROR;
    try {
      await next();
    } catch (error) {
      failure = error;
    }
    const { stale } = miss;
    if (failure !== NO_ERROR) {
      if (stale !== undefined && !res.committed && mayServeOnError(stale.policy, stale.staleIfError)) return this.standIn(ctx, stale, undefined, failure, before);
      throw failure;
    }
    if (res.committed) {
      this.notStored('streamed');
      return;
    }
    const status = res.status;
    if (stale !== undefined && ERROR_STATUSES.has(status) && mayServeOnError(stale.policy, stale.staleIfError)) return this.standIn(ctx, stale, status, undefined, before);
    this.metrics.result.miss.inc();

    const after = res.headers();
    const tagHeader = this.o.tagHeader;
    const tagValue = tagHeader === undefined ? undefined : res.header(tagHeader);
    if (tagValue !== undefined) res.removeHeader(tagHeader!);
    const raw = res.body;
    // Text is kept as text, so a hit goes out in one write with its head (a Buffer body costs node a
    // writev); valid UTF-8 bytes (Express's res.json sends a Buffer) round-trip exactly, so they become text too.
    const body: Uint8Array | string = raw === undefined ? '' : typeof raw === 'string' || !isUtf8(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
    const bodyBytes = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    let reason: NotStoredReason | undefined;
    let stored = false;
    let ttl: number | undefined;
    if (ctx.req.method !== 'GET') reason = 'method';
    else if (miss.noStore) reason = 'request-no-store';
    else {
      const kept = storedHeaders(before, after, tagHeader);
      // Whose Set-Cookie counts is the downstream's: an outer middleware's is set again on every hit.
      const facts = flatHeaders(after);
      if (same(before['set-cookie'], after['set-cookie'])) delete facts['set-cookie'];
      const vary = varyNames(facts.vary);
      const shared = miss.user === undefined;
      const decision = decideStorage({ status, headers: facts, bodyBytes, credentialed: miss.credentialed, shared, vary }, this.o.rules, this.Policy);
      if (typeof decision === 'string') reason = decision;
      else {
        // The handler's own Date (an answer relayed from upstream) is the
        // origin's and the policy's: kept. Without a valid one, now.
        const given = res.header('date');
        if (given !== undefined && parseHttpDate(given) !== undefined) kept.date = given;
        else {
          const date = new Date(this.o.now()).toUTCString();
          kept.date = date;
          res.setHeader('date', date);
        }
        if (this.o.etag && status === 200 && kept.etag === undefined) {
          kept.etag = strongEtag(body);
          res.setHeader('etag', kept.etag);
        }
        const path = resourcePath(ctx.req.path, this.o.query(rawQuery(ctx.req.url)));
        const tags = handlerTags(ctx.state.cacheTags, tagValue);
        tags.push(resourceTag(path));
        if (miss.user !== undefined) tags.push(userTag(miss.user));
        const entry: CachedResponse = {
          status,
          headers: kept,
          body: typeof body === 'string' ? body : new Uint8Array(body),
          policy: decision.policy,
          staleWhileRevalidate: decision.staleWhileRevalidate,
          staleIfError: decision.staleIfError,
          tags,
          shareable: decision.shareable,
        };
        stored = await this.put(miss.base, entry, vary === '*' ? [] : vary, ctx.req.headers, decision.ttlMs);
        ttl = decision.policy.maxAge() - decision.policy.age();
        if (stored) this.metrics.written(bodyBytes, this.o.store.sizeBytes);
      }
    }
    if (reason !== undefined) this.notStored(reason);
    if (this.o.etag && status === 200 && !res.hasHeader('etag')) res.setHeader('etag', strongEtag(body));
    this.mark(ctx, 'MISS', forwardStatus(this.o.statusName, miss.fwd, { stored, ttl: stored ? ttl : undefined, detail: reason }));
    answerConditionally(ctx, status, undefined);
  }

  /** Writes an entry (with its Vary marker first); true when the store took it. */
  async put(base: string, entry: CachedResponse, vary: readonly string[], headers: IncomingHttpHeaders, ttlMs: number): Promise<boolean> {
    if (vary.length === 0) return this.guard.write('set', (store) => store.set(base, entry, ttlMs));
    const marker: VaryMarker = { vary, tags: entry.tags };
    const markerWritten = await this.guard.write('set', (store) => store.set(base, marker, ttlMs));
    if (!markerWritten) return false;
    return this.guard.write('set', (store) => store.set(base + variantOf(vary, headers), entry, ttlMs));
  }

  /** A stale entry answers instead of a handler that threw or answered 5xx (RFC 5861 §4). */
  standIn(ctx: Context, stale: CachedResponse, status: number | undefined, error: unknown, before: ReturnType<Context['res']['headers']>): Promise<void> {
    const res = ctx.res;
    const failed = res.headers();
    // The failed answer's own fields go; those of outer middleware stay.
    for (const name of Object.keys(failed)) if (!Object.hasOwn(before, name)) res.removeHeader(name);
    let served = false;
    try {
      const age = stale.policy.age();
      const ttl = stale.policy.maxAge() - age;
      served = this.serve(ctx, stale, 'STALE', forwardStatus(this.o.statusName, 'stale', { fwdStatus: status, ttl, detail: 'stale-if-error' }), age);
    } catch {
      served = false;
    }
    if (!served) {
      // The stale entry cannot stand in after all: the failure passes through as it was.
      restoreHeaders(ctx, failed);
      return status === undefined ? Promise.reject(error) : Promise.resolve();
    }
    this.metrics.staleIfError.inc();
    this.tell({ type: 'stale-if-error', cache: this.o.name, path: ctx.req.path, status, error });
    return Promise.resolve();
  }

  /** Past the cache: the handler answers, nothing is read or stored. */
  async bypass(ctx: Context, next: Next, reason: BypassReason): Promise<void> {
    this.metrics.result.bypass.inc();
    this.metrics.bypass[reason].inc();
    await next();
    if (ctx.res.committed) return;
    this.dropTagHeader(ctx);
    this.mark(ctx, 'BYPASS', forwardStatus(this.o.statusName, 'bypass', { detail: reason }));
  }

  /** A method this cache never stores (OPTIONS, TRACE): the handler answers, minus the tag header meant for this cache. */
  async uncached(ctx: Context, next: Next): Promise<void> {
    await next();
    this.dropTagHeader(ctx);
  }

  /** The tag header is for this cache, never for the client, whatever the method. */
  dropTagHeader(ctx: Context): void {
    const name = this.o.tagHeader;
    if (name !== undefined && !ctx.res.committed && ctx.res.hasHeader(name)) ctx.res.removeHeader(name);
  }

  /** RFC 9111 §4.4: a successful unsafe request invalidates its target (and the same-host Location / Content-Location). */
  async unsafe(ctx: Context, next: Next): Promise<void> {
    await next();
    this.dropTagHeader(ctx);
    const res = ctx.res;
    if (res.status >= 400) return;
    const targets = [resourcePath(ctx.req.path, this.o.query(rawQuery(ctx.req.url)))];
    const host = ctx.req.headers.host;
    for (const name of ['location', 'content-location']) {
      const value = res.header(name);
      if (value === undefined || host === undefined) continue;
      try {
        const url = new URL(value, `http://${host}`);
        if (url.host === host.toLowerCase()) targets.push(resourcePath(url.pathname, this.o.query(url.search.slice(1))));
      } catch {
        // Not a URL: nothing to invalidate.
      }
    }
    for (const target of targets) await this.guard.write('delete', (store) => store.deleteTag(resourceTag(target)));
  }

  /** Starts the key's background refresh, unless one is on the way. */
  refresh(ctx: Context, base: string): void {
    if (this.refreshing.has(base)) return;
    this.refreshing.add(base);
    const path = ctx.req.path;
    backgroundRefresh(ctx, this.token, this.o.refreshTimeoutMs).then(
      (stored) => {
        this.refreshing.delete(base);
        this.metrics.refresh(stored ? 'stored' : 'not-stored');
        this.tell({ type: 'refreshed', cache: this.o.name, path, stored });
      },
      (error: unknown) => {
        this.refreshing.delete(base);
        this.metrics.refresh('failed');
        this.tell({ type: 'refresh-failed', cache: this.o.name, path, error });
      },
    );
  }

  /**
   * What a stored response can do now, on this cache's clock (an entry read
   * from Redis comes with the library's default one); `undefined` when it
   * cannot be served at all (a damaged entry: its policy throws or answers
   * no number, or its status or fields cannot be written).
   */
  usable(entry: CachedResponse, staleWhileRevalidate: number, request: RequestDirectives): ReturnType<typeof use> | undefined {
    if (!servable(entry)) return undefined;
    try {
      const policy = entry.policy;
      // An entry read back from Redis is a plain CachePolicy: it gets this cache's clock.
      if (!(policy instanceof this.Policy)) (policy as unknown as { now: () => number }).now = this.o.now;
      const now = use(policy, staleWhileRevalidate, request);
      return Number.isFinite(now.age) && Number.isFinite(now.ttl) ? now : undefined;
    } catch {
      return undefined;
    }
  }

  /** `X-Cache`, and this cache's member appended to any `Cache-Status` the answer carries (RFC 9211 §2: the upstream caches' come first). */
  mark(ctx: Context, result: CacheResult, cacheStatus: string): void {
    const res = ctx.res;
    if (this.o.xCache) res.setHeader('x-cache', result);
    const upstream = res.header('cache-status');
    res.setHeader('cache-status', upstream === undefined || upstream.trim() === '' ? cacheStatus : `${upstream}, ${cacheStatus}`);
  }

  notStored(reason: NotStoredReason): void {
    this.metrics.notStored[reason].inc();
  }

  tell(event: Parameters<ResolvedCacheOptions['onEvent']>[0]): void {
    try {
      this.o.onEvent(event);
    } catch {
      // A throwing hook is ignored.
    }
  }

  async forget(run: (store: CacheStore) => void | Promise<void>, what: string): Promise<void> {
    const done = await this.guard.write('delete', run);
    if (!done) throw new CacheError('CACHE_STORE_UNAVAILABLE', `@ward/cache (${this.o.name}): the ${this.o.store.kind} store could not ${what}; entries may be served until their TTL`);
  }
}

/**
 * A response cache: its middleware and the API to invalidate what it keeps.
 *
 * @param options {@link ResponseCacheOptions}
 * @throws TypeError for a wrong type or an unknown option; RangeError for a bad value.
 * @example
 * const cache = createResponseCache({ store: new MemoryCacheStore(), defaultMaxAge: 30 });
 * engine.get('/api/v1/products', cache.middleware, listProducts);
 * engine.post('/api/v1/products', createProduct); // a success invalidates GET /api/v1/products by itself
 * await cache.invalidateTag('products');          // entries the handler tagged (ctx.state.cacheTags)
 */
export function createResponseCache(options: ResponseCacheOptions = {}): ResponseCache {
  const resolved = resolveCacheOptions(options, 'createResponseCache(options)');
  const cache = new Cache(resolved);
  const described = {
    store: resolved.store.kind,
    name: resolved.name,
    defaultMaxAge: resolved.rules.defaultMaxAge,
    staleWhileRevalidate: resolved.rules.staleWhileRevalidate,
    staleIfError: resolved.rules.staleIfError,
    statuses: [...resolved.rules.statuses],
    maxBodyBytes: resolved.rules.maxBodyBytes,
    query: typeof options.query === 'function' ? 'function' : (options.query ?? 'sorted'),
    perUser: resolved.perUser !== undefined,
    requestCacheControl: resolved.honorRequest ? 'honor' : 'ignore',
    keyHeaders: resolved.keyHeaders,
    tagHeader: resolved.tagHeader ?? false,
    cacheStatusName: resolved.statusName,
    xCache: resolved.xCache,
    etag: resolved.etag,
    collapseTimeoutMs: resolved.collapseTimeoutMs,
    fleetLock: resolved.fleetLock ?? false,
    storeTimeoutMs: resolved.storeTimeoutMs,
    refreshTimeoutMs: resolved.refreshTimeoutMs,
  };
  const middleware = defineMiddleware('responseCache', described, function responseCache(ctx: Context, next: Next): Promise<void> {
    try {
      return cache.handle(ctx, next);
    } catch (error) {
      return Promise.reject(error);
    }
  });
  const query = resolved.query;
  return {
    middleware,
    store: resolved.store,
    invalidate: (target) => {
      const q = target.indexOf('?');
      const path = q === -1 ? target : target.slice(0, q);
      return cache.forget((store) => store.deleteTag(resourceTag(resourcePath(path, query(q === -1 ? '' : target.slice(q + 1))))), `invalidate ${path}`);
    },
    invalidatePrefix: (pathPrefix) => cache.forget((store) => store.deletePrefix(pathPrefix), `invalidate the prefix ${pathPrefix}`),
    invalidateTag: (tag) => cache.forget((store) => store.deleteTag(tag), `invalidate the tag ${tag}`),
    invalidateUser: (id) => cache.forget((store) => store.deleteTag(userTag(id)), 'invalidate a user'),
  };
}

/**
 * The middleware of a new response cache (see {@link createResponseCache}
 * for the invalidation API).
 *
 * @example
 * app.get('/api/v1/users', ward([responseCache({ perUser: true, defaultMaxAge: 10 })]), listUsers);
 */
export function responseCache(options: ResponseCacheOptions = {}): Middleware {
  return createResponseCache(options).middleware;
}
markFactory(responseCache);

