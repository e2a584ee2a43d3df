/**
 * What the cache tests share: an app on one stack with a response cache in
 * its chain (on its own registry and, unless given, its own clock), handler
 * run counts, and a request helper.
 */
import { type CacheStore, createResponseCache, MemoryCacheStore, RedisCacheStore, type ResponseCache, type ResponseCacheOptions } from '@ward/cache';
import type { Middleware } from '@ward/core';
import { type TestRequestOptions, type TestResponse, request } from '@ward/core/testing';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, inject } from 'vitest';
import { connect } from '../rate-limit/helpers.js';
import { type RunningApp, type Script, type Stack } from '../timeout/stacks.js';

/** A clock tests move by hand. */
export interface Clock {
  t: number;
  now: () => number;
}

/** Starts at the real time (a store's own TTLs run on real clocks: Redis's). */
export function clock(): Clock {
  const c: Clock = { t: Date.now(), now: () => c.t };
  return c;
}

export interface CacheApp {
  readonly url: string;
  readonly cache: ResponseCache;
  readonly registry: Registry;
  readonly clock: Clock;
  /** Handler runs by path. */
  readonly runs: Record<string, number>;
  get(path: string, options?: TestRequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface CacheAppSpec {
  options?: ResponseCacheOptions;
  /** Middleware before the cache (an outer layer). */
  before?: Middleware[];
  /** Middleware after the cache, before the handler. */
  after?: Middleware[];
  routes: Record<string, Script>;
  posts?: Record<string, Script>;
  /** Use this cache instead of making one. */
  cache?: ResponseCache;
  clock?: Clock;
}

/** Counts each route's runs around its script. */
function counted(routes: Record<string, Script>, runs: Record<string, number>): Record<string, Script> {
  return Object.fromEntries(
    Object.entries(routes).map(([path, script]) => [
      path,
      (io: Parameters<Script>[0]) => {
        runs[path] = (runs[path] ?? 0) + 1;
        return script(io);
      },
    ]),
  );
}

export async function cacheApp(stack: Stack, spec: CacheAppSpec): Promise<CacheApp> {
  const registry = new Registry();
  const c = spec.clock ?? clock();
  const cache = spec.cache ?? createResponseCache({ registry, now: c.now, onEvent: () => {}, ...spec.options });
  const runs: Record<string, number> = {};
  const app: RunningApp = await stack.start({
    chain: [...(spec.before ?? []), cache.middleware, ...(spec.after ?? [])],
    routes: counted(spec.routes, runs),
    posts: spec.posts === undefined ? undefined : counted(spec.posts, runs),
  });
  return {
    url: app.url,
    cache,
    registry,
    clock: c,
    runs,
    get: (path, options) => request(app.url + path, options),
    close: () => app.close(),
  };
}

/** A JSON route answering `{ n: <its run count> }` with these headers. */
export function numbered(headers: Record<string, string | string[]> = {}, status = 200): Script {
  let n = 0;
  return (io) => {
    n += 1;
    for (const [name, value] of Object.entries(headers)) io.setHeader(name, value);
    io.json(status, { n });
  };
}

/** The value of one series of a counter on `registry`. */
export async function counter(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  const found = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return found?.value ?? 0;
}

/** A kind of store the HTTP rules run on, and a fresh one of it per app. */
export interface StoreKind {
  readonly name: 'memory' | 'redis';
  make(): CacheStore;
}

/**
 * Memory and Redis — a client on the set-up's Redis connected before the
 * file's tests and disconnected after them, a fresh key prefix per store —
 * each paired with every stack: the rows of a `describe.each`.
 */
export function storesByStack(file: string, stacks: readonly Stack[]): { store: StoreKind; stack: Stack; name: string }[] {
  let redis: Redis | undefined;
  beforeAll(async () => {
    redis = await connect(inject('redisUrl'));
  });
  afterAll(() => redis?.disconnect());
  let made = 0;
  const stores: StoreKind[] = [
    { name: 'memory', make: () => new MemoryCacheStore() },
    { name: 'redis', make: () => new RedisCacheStore({ client: redis!, prefix: `test:cache:${file}:${process.pid}:${++made}:` }) },
  ];
  return stores.flatMap((store) => stacks.map((stack) => ({ store, stack, name: `${stack.name}, ${store.name} store` })));
}
