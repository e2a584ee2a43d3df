/**
 * DESIGN.md rule 8 for @ward/rate-limit: when Redis is down or slow, the
 * limiter follows its failure mode, bounds the wait with storeTimeoutMs,
 * counts every failure in metrics, reports each episode once — and goes
 * back to Redis by itself when it returns.
 *
 * Every test owns a private redis-server it stops, freezes and restarts.
 * Each scenario runs twice: with a fail-fast ioredis client (no offline
 * queue) and with ioredis defaults (offline queue on), where only the
 * store's own "not ready" refusal keeps a decision from waiting for the
 * reconnection. The limiter's clock (breaker, fallback) is injected; the
 * RedisStore decides on the server's clock.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  RedisStore,
  StoreTimeoutError,
  StoreUnavailableError,
  createRateLimiter,
  isStoreError,
  type FailureMode,
  type RateLimitDecision,
  type RateLimitStore,
  type RateLimiter,
  type RateLimiterOptions,
  type StoreEvent,
} from '@ward/rate-limit';
import { type PrivateRedis, startRedisServer } from '../setup/redis.js';
import { cleanups, connect, namer } from './helpers.js';

const uniqueName = namer('rf');
const cleanup = cleanups();

async function privateServer(): Promise<PrivateRedis> {
  const server = await startRedisServer();
  cleanup.push(() => server.close());
  return server;
}

const VARIANTS: [label: string, options: RedisOptions][] = [
  ['a fail-fast client (no offline queue)', { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 20 }],
  ['an ioredis client with default options (offline queue on)', {}],
];

function connectTo(url: string, options: RedisOptions): Promise<Redis> {
  return connect(url, options, cleanup);
}

/** Stops the server and resolves once the client has seen the connection go. */
async function outage(server: PrivateRedis, client: Redis): Promise<void> {
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await server.stop();
  await closed;
  expect(client.status).not.toBe('ready');
}

/** Starts the server again and resolves once the client is `ready` on it. */
async function comeBack(server: PrivateRedis, client: Redis): Promise<void> {
  const ready = new Promise<void>((resolve) => client.once('ready', () => resolve()));
  await server.start();
  await ready;
}

/** `calls=` of a command in INFO commandstats (0 when it never ran). */
async function commandCalls(client: Redis, command: string): Promise<number> {
  const info = await client.info('commandstats');
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
  return match === null ? 0 : Number(match[1]);
}

/** The non-zero series of a counter, keyed by the values of `labels` joined with '/'. */
async function counts(registry: Registry, metric: string, labels: string[]): Promise<Record<string, number>> {
  const found = registry.getSingleMetric(metric);
  if (found === undefined) return {};
  const out: Record<string, number> = {};
  for (const { labels: values, value } of (await found.get()).values) {
    if (value !== 0) out[labels.map((l) => String(values[l])).join('/')] = value;
  }
  return out;
}

interface Harness {
  limiter: RateLimiter;
  events: StoreEvent[];
  registry: Registry;
  clock: { t: number };
  decisions(): Promise<Record<string, number>>;
  errors(): Promise<Record<string, number>>;
}

function harness(store: RateLimitStore, options: Partial<RateLimiterOptions> & { failureMode: FailureMode }): Harness {
  const events: StoreEvent[] = [];
  const registry = new Registry();
  const clock = { t: 1_000_000 };
  const limiter = createRateLimiter({
    name: uniqueName(options.failureMode),
    // One token back every 6 minutes of server time: no refill during a test.
    policies: [{ name: 'p', limit: 10, windowMs: 3_600_000 }],
    store,
    // Long on purpose: a decision that waited for ioredis's reconnection would show as a timeout, not an error.
    storeTimeoutMs: 10_000,
    registry,
    onStoreEvent: (event) => events.push(event),
    now: () => clock.t,
    ...options,
  });
  return {
    limiter,
    events,
    registry,
    clock,
    decisions: () => counts(registry, 'ward_rate_limit_decisions_total', ['outcome', 'source']),
    errors: () => counts(registry, 'ward_rate_limit_store_errors_total', ['reason']),
  };
}

function brief(d: RateLimitDecision): { outcome: string; allowed: boolean; source: string; remaining: number } {
  return { outcome: d.outcome, allowed: d.allowed, source: d.source, remaining: d.remaining };
}

describe.each(VARIANTS)('Redis faults with %s', (_label, clientOptions) => {
  it.each([
    ['open', true, 'failed_open'],
    ['closed', false, 'failed_closed'],
  ] as const)("failureMode '%s': a stopped server gives %s decisions at once; the breaker takes over after 3", async (mode, allowed, outcome) => {
    const server = await privateServer();
    const client = await connectTo(server.url, clientOptions);
    const h = harness(new RedisStore({ client }), { failureMode: mode, breaker: { failures: 3, openMs: 1_000 } });
    for (const remaining of [9, 8, 7]) expect(brief(await h.limiter.consume('k'))).toEqual({ outcome: 'allowed', allowed: true, source: 'store', remaining });

    await outage(server, client);
    const during = [];
    for (let i = 0; i < 5; i++) during.push(await h.limiter.consume('k'));
    for (const d of during) {
      expect(d).toMatchObject({ outcome, allowed, source: 'none', policies: [], violated: [], remaining: Number.POSITIVE_INFINITY, retryAfterMs: 0 });
      expect(d.error).toBeInstanceOf(StoreUnavailableError);
    }
    // The first three were refused by the store itself (the client is not ready) — not held in
    // ioredis's offline queue until storeTimeoutMs; the last two never reached the store.
    for (const d of during.slice(0, 3)) expect((d.error as Error).message).toMatch(/the Redis client is \w+, not ready/);
    for (const d of during.slice(3)) expect((d.error as Error).message).toMatch(/breaker is open/);
    expect(await h.errors()).toEqual({ error: 3, breaker_open: 2 });
    expect(await h.decisions()).toEqual({ 'allowed/store': 3, [`${outcome}/none`]: 5 });
    expect(h.events).toHaveLength(1);
    expect(h.events[0]).toMatchObject({ type: 'degraded', limiter: h.limiter.name, store: 'redis' });
    expect((h.events[0] as { error: unknown }).error).toBe(during[0]!.error);
  });

  it("failureMode 'memory': the fallback decides at fallbackShare, then Redis takes over again by itself", async () => {
    const server = await privateServer();
    const client = await connectTo(server.url, clientOptions);
    const h = harness(new RedisStore({ client }), { failureMode: 'memory', fallbackShare: 0.5, breaker: { failures: 3, openMs: 1_000 } });
    expect(brief(await h.limiter.consume('k'))).toEqual({ outcome: 'allowed', allowed: true, source: 'store', remaining: 9 });
    expect(brief(await h.limiter.consume('k'))).toEqual({ outcome: 'allowed', allowed: true, source: 'store', remaining: 8 });

    await outage(server, client);
    // limit 10 × 0.5: the local bucket holds 5, whatever Redis had.
    for (const remaining of [4, 3, 2, 1, 0]) {
      const d = await h.limiter.consume('k');
      expect(brief(d)).toEqual({ outcome: 'allowed', allowed: true, source: 'fallback', remaining });
      expect(d.error).toBeInstanceOf(StoreUnavailableError);
      expect(d.policies.map((p) => [p.name, p.limit])).toEqual([['p', 5]]);
    }
    for (let i = 0; i < 2; i++) {
      const d = await h.limiter.consume('k');
      // 5 tokens an hour: one comes back every 720 000 ms.
      expect(d).toMatchObject({ outcome: 'limited', allowed: false, source: 'fallback', remaining: 0, retryAfterMs: 720_000, violated: ['p'] });
    }
    expect(await h.errors()).toEqual({ error: 3, breaker_open: 4 });

    // Redis is back and ready, but the breaker is still open: the fallback keeps deciding and Redis sees nothing.
    await comeBack(server, client);
    expect(await h.limiter.consume('k')).toMatchObject({ outcome: 'limited', source: 'fallback' });
    expect(await commandCalls(client, 'evalsha')).toBe(0);
    expect(await h.errors()).toEqual({ error: 3, breaker_open: 5 });

    // openMs later (on the limiter's clock) one probe goes to Redis — restarted empty, so the bucket is full.
    h.clock.t += 1_000;
    expect(brief(await h.limiter.consume('k'))).toEqual({ outcome: 'allowed', allowed: true, source: 'store', remaining: 9 });
    expect(brief(await h.limiter.consume('k'))).toEqual({ outcome: 'allowed', allowed: true, source: 'store', remaining: 8 });
    // The restarted server had lost the script: the probe fell back to EVAL once.
    expect([await commandCalls(client, 'evalsha'), await commandCalls(client, 'eval')]).toEqual([2, 1]);

    expect(h.events.map((e) => e.type)).toEqual(['degraded', 'recovered']);
    expect(h.events[1]).toEqual({ type: 'recovered', limiter: h.limiter.name, store: 'redis', downMs: 1_000 });
    expect(await h.errors()).toEqual({ error: 3, breaker_open: 5 });
    expect(await h.decisions()).toEqual({ 'allowed/store': 4, 'allowed/fallback': 5, 'limited/fallback': 3 });
  });

  it('a frozen server: the decision fails as a StoreTimeoutError within storeTimeoutMs; each freeze is one episode', async () => {
    const server = await privateServer();
    const client = await connectTo(server.url, clientOptions);
    const h = harness(new RedisStore({ client }), { failureMode: 'closed', storeTimeoutMs: 200 });
    expect(brief(await h.limiter.consume('k'))).toEqual({ outcome: 'allowed', allowed: true, source: 'store', remaining: 9 });

    for (let episode = 1; episode <= 2; episode++) {
      server.freeze();
      cleanup.push(() => server.thaw());
      const started = performance.now();
      const d = await h.limiter.consume('k');
      const took = performance.now() - started;
      expect(brief(d)).toEqual({ outcome: 'failed_closed', allowed: false, source: 'none', remaining: Number.POSITIVE_INFINITY });
      expect(d.error).toBeInstanceOf(StoreTimeoutError);
      expect(d.error).toMatchObject({ code: 'RATE_LIMIT_STORE_TIMEOUT', timeoutMs: 200 });
      expect(took).toBeLessThan(1_500);
      expect(await h.errors()).toEqual({ timeout: episode });

      // Thawed, the held script runs late (its answer is dropped, its token spent), then Redis decides again.
      server.thaw();
      expect(brief(await h.limiter.consume('k'))).toEqual({ outcome: 'allowed', allowed: true, source: 'store', remaining: 9 - 2 * episode });
    }
    expect(h.events.map((e) => e.type)).toEqual(['degraded', 'recovered', 'degraded', 'recovered']);
    expect((h.events[0] as { error: unknown }).error).toBeInstanceOf(StoreTimeoutError);
    expect(await h.errors()).toEqual({ timeout: 2 });
    expect(await h.decisions()).toEqual({ 'allowed/store': 3, 'failed_closed/none': 2 });
  });

  it('the breaker: opens after `failures`, skips Redis while open, lets exactly one probe through after openMs', async () => {
    const server = await privateServer();
    const client = await connectTo(server.url, clientOptions);
    const h = harness(new RedisStore({ client }), { failureMode: 'closed', breaker: { failures: 3, openMs: 5_000 } });
    expect((await h.limiter.consume('k')).outcome).toBe('allowed');

    await outage(server, client);
    for (let i = 0; i < 3; i++) expect((await h.limiter.consume('k')).outcome).toBe('failed_closed');
    expect(await h.errors()).toEqual({ error: 3 });
    for (let i = 0; i < 2; i++) expect((await h.limiter.consume('k')).outcome).toBe('failed_closed');
    expect(await h.errors()).toEqual({ error: 3, breaker_open: 2 });

    // openMs later, the probe finds Redis still down: it fails, and the breaker opens for another openMs.
    h.clock.t += 4_999;
    await h.limiter.consume('k');
    expect(await h.errors()).toEqual({ error: 3, breaker_open: 3 });
    h.clock.t += 1;
    await h.limiter.consume('k');
    expect(await h.errors()).toEqual({ error: 4, breaker_open: 3 });
    await h.limiter.consume('k');
    expect(await h.errors()).toEqual({ error: 4, breaker_open: 4 });

    // Back and ready, but open: nothing reaches Redis.
    await comeBack(server, client);
    expect((await h.limiter.consume('k')).outcome).toBe('failed_closed');
    expect(await h.errors()).toEqual({ error: 4, breaker_open: 5 });
    expect(await commandCalls(client, 'evalsha')).toBe(0);

    // openMs after the failed probe: three calls at once — the first is the probe, the others wait for its verdict.
    h.clock.t += 5_000;
    const three = await Promise.all([h.limiter.consume('k'), h.limiter.consume('k'), h.limiter.consume('k')]);
    expect(three.map((d) => `${d.outcome}/${d.source}`)).toEqual(['allowed/store', 'failed_closed/none', 'failed_closed/none']);
    expect(three[0]!.remaining).toBe(9); // the restarted server is empty
    expect(await h.errors()).toEqual({ error: 4, breaker_open: 7 });
    // Closed again: every call goes to Redis.
    for (const remaining of [8, 7]) expect(brief(await h.limiter.consume('k'))).toEqual({ outcome: 'allowed', allowed: true, source: 'store', remaining });
    expect(await commandCalls(client, 'evalsha')).toBe(3);

    expect(h.events.map((e) => e.type)).toEqual(['degraded', 'recovered']);
    expect(h.events[1]).toMatchObject({ type: 'recovered', downMs: 10_000 });
    expect(await h.errors()).toEqual({ error: 4, breaker_open: 7 });
    expect(await h.decisions()).toEqual({ 'allowed/store': 4, 'failed_closed/none': 11 });
  });

  it('calls in flight when the server stops all resolve, as Redis decisions or as failures, each counted once', async () => {
    const server = await privateServer();
    const client = await connectTo(server.url, clientOptions);
    const h = harness(new RedisStore({ client }), {
      failureMode: 'open',
      storeTimeoutMs: 300,
      breaker: { failures: 1_000 },
      policies: [{ name: 'p', limit: 1_000, windowMs: 3_600_000 }],
    });
    expect((await h.limiter.consume('k')).source).toBe('store');
    const pending = Array.from({ length: 50 }, () => h.limiter.consume('k'));
    await server.stop();
    const decisions = await Promise.all(pending);
    const fromStore = decisions.filter((d) => d.source === 'store');
    const failed = decisions.filter((d) => d.source === 'none');
    expect(fromStore.length + failed.length).toBe(50);
    for (const d of fromStore) expect(d.outcome).toBe('allowed');
    for (const d of failed) {
      expect(d.outcome).toBe('failed_open');
      expect(d.error).toBeInstanceOf(Error);
    }
    const errors = await h.errors();
    expect((errors['error'] ?? 0) + (errors['timeout'] ?? 0)).toBe(failed.length);
    expect(errors['breaker_open']).toBeUndefined();
    expect(await h.decisions()).toEqual({ 'allowed/store': 1 + fromStore.length, ...(failed.length > 0 ? { 'failed_open/none': failed.length } : {}) });
    expect(h.events.map((e) => e.type)).toEqual(failed.length > 0 ? ['degraded'] : []);
  });
});

describe('a custom store that misbehaves is a store failure, never a crash and never a decision', () => {
  const policies = [{ name: 'p', limit: 10, windowMs: 60_000 }];
  /** A thenable that is not a native Promise. */
  const thenable = (value: unknown) => ({ then: (resolve: (v: unknown) => void) => resolve(value) });
  const misbehaviours: [string, () => unknown][] = [
    ['throws a string', () => { throw 'boom'; }],
    ['throws undefined', () => { throw undefined; }],
    ['throws null', () => { throw null; }],
    ['throws a plain object', () => { throw { code: 'EWHAT' }; }],
    ['rejects with a number', () => Promise.reject(42)],
    ['rejects with undefined', () => Promise.reject(undefined)],
    ['returns null', () => null],
    ['returns undefined', () => undefined],
    ['returns a number', () => 1],
    ['returns {}', () => ({})],
    ['returns { allowed: true } without a state', () => ({ allowed: true })],
    ['returns an empty state', () => ({ allowed: true, state: [] })],
    ['returns a state with text in it', () => ({ allowed: true, state: [0, 'x'] })],
    ['returns a state with NaN', () => ({ allowed: true, state: [0, Number.NaN] })],
    ['returns a state of the wrong length', () => ({ allowed: true, state: [0, 1_000, 1_000] })],
    ['returns a negative level (it would send r=-2)', () => ({ allowed: true, state: [0, -120_000] })],
    ['returns a level above the capacity', () => ({ allowed: true, state: [0, 1e15] })],
    ['returns allowed as a string', () => ({ allowed: 'yes', state: [0, 60_000] })],
    ['resolves with null', () => Promise.resolve(null)],
    ['resolves with garbage', () => Promise.resolve({ allowed: true, state: 'full' })],
    ['returns a thenable of garbage', () => thenable({ nope: true })],
  ];

  function misbehaving(consume: () => unknown): RateLimitStore {
    return { kind: 'custom', consume: consume as RateLimitStore['consume'], reset: () => undefined };
  }

  it.each(misbehaviours)("a store that %s: 'closed' refuses with failed_closed, counted as an error and reported", async (_label, consume) => {
    const h = harness(misbehaving(consume), { failureMode: 'closed', policies });
    const d = await h.limiter.consume('k');
    expect(brief(d)).toEqual({ outcome: 'failed_closed', allowed: false, source: 'none', remaining: Number.POSITIVE_INFINITY });
    expect(await h.errors()).toEqual({ error: 1 });
    expect(await h.decisions()).toEqual({ 'failed_closed/none': 1 });
    expect(h.events.map((e) => e.type)).toEqual(['degraded']);
  });

  it.each(misbehaviours)("a store that %s: 'memory' decides from the fallback", async (_label, consume) => {
    const h = harness(misbehaving(consume), { failureMode: 'memory', policies });
    const d = await h.limiter.consume('k');
    expect(brief(d)).toEqual({ outcome: 'allowed', allowed: true, source: 'fallback', remaining: 9 });
    expect(await h.errors()).toEqual({ error: 1 });
  });

  it('garbage is reported as a StoreUnavailableError; a thrown value is passed on as it is', async () => {
    const garbage = harness(misbehaving(() => ({ allowed: true, state: [] })), { failureMode: 'open', policies });
    const g = await garbage.limiter.consume('k');
    expect(g.outcome).toBe('failed_open');
    expect(isStoreError(g.error)).toBe(true);
    const thrown = harness(misbehaving(() => { throw 'boom'; }), { failureMode: 'open', policies });
    expect((await thrown.limiter.consume('k')).error).toBe('boom');
  });

  it('a well-behaved store answering through a non-native thenable decides', async () => {
    let level = 60_000 * 10;
    const store: RateLimitStore = {
      kind: 'custom',
      consume: (_key, _policies, cost) => {
        level -= cost * 60_000;
        return thenable({ allowed: true, state: [0, level] }) as unknown as Promise<{ allowed: boolean; state: number[] }>;
      },
      reset: () => undefined,
    };
    const h = harness(store, { failureMode: 'closed', policies });
    expect(brief(await h.limiter.consume('k'))).toEqual({ outcome: 'allowed', allowed: true, source: 'store', remaining: 9 });
    expect(await h.errors()).toEqual({});
  });
});
