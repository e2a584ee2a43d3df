/**
 * RedisCircuitState on real Redis: two instances (two clients, two state
 * objects, one breaker name) trip together, only one of them runs the
 * trial calls when the open period ends, and its passing trials close the
 * circuit for both; a Redis that stops leaves each breaker acting alone,
 * reported once, and sharing resumes when it is back. Syncs are run by
 * hand (`sync()`), so nothing waits on the sync interval.
 */
import { CircuitBreaker, type CircuitState, RedisCircuitState, type SharedStateEvent } from '@ward/circuit-breaker';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { privateRedis } from '../auth/outage.js';
import { cleanups, connect, namer } from '../rate-limit/helpers.js';
import { reaches } from './helpers.js';

const cleanup = cleanups();
const name = namer('test-cb');
let redisA: Redis;
let redisB: Redis;
beforeAll(async () => {
  redisA = await connect(inject('redisUrl'));
  redisB = await connect(inject('redisUrl'));
});
afterAll(() => {
  redisA.disconnect();
  redisB.disconnect();
});

const boom = () => Promise.reject(new Error('upstream down'));
const ok = () => Promise.resolve('ok');

/** One instance of a fleet: its shared state and its breaker of `breakerName`. */
function instance(client: Redis, breakerName: string, events: SharedStateEvent[] = [], openDurationMs = 200) {
  const shared = new RedisCircuitState({ client, syncMs: 60_000, onEvent: (e) => events.push(e) });
  // The second period is long (4 s): nothing races for its trials while a test looks.
  const breaker = new CircuitBreaker({ name: breakerName, windowSize: 2, minimumCalls: 2, openDurationMs, openDurationMultiplier: 20, halfOpenCalls: 1, registry: false, shared });
  cleanup.push(() => breaker.close());
  cleanup.push(() => shared.close());
  return { shared, breaker };
}

type Instance = ReturnType<typeof instance>;

/** Two instances of one breaker name; A trips it with two failures, and B has followed. */
async function trippedFleet(label: string, openDurationMs = 200, clients: [Redis, Redis] = [redisA, redisB]): Promise<{ breakerName: string; a: Instance; b: Instance }> {
  const breakerName = name(label);
  const a = instance(clients[0], breakerName, [], openDurationMs);
  const b = instance(clients[1], breakerName, [], openDurationMs);
  await a.breaker.execute(boom).catch(() => undefined);
  await a.breaker.execute(boom).catch(() => undefined);
  expect(a.breaker.state).toBe('open');
  await syncUntil(b.shared, b.breaker, 'open');
  return { breakerName, a, b };
}

/** Both timers end the period and race for the lease: resolves with the one that won and the other. */
async function trialRace(a: Instance, b: Instance): Promise<[winner: Instance, loser: Instance]> {
  await Promise.race([reaches(a.breaker, 'half-open'), reaches(b.breaker, 'half-open')]);
  return a.breaker.state === 'half-open' ? [a, b] : [b, a];
}

/** Resolves once `client` is connected (again). */
function ready(client: Redis): Promise<void> {
  return new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', () => resolve())));
}

/** Syncs `shared` until `breaker` reaches `state` (the other instance's write may still be in flight). */
async function syncUntil(shared: RedisCircuitState, breaker: CircuitBreaker, state: CircuitState): Promise<void> {
  for (let i = 0; i < 100 && breaker.state !== state; i++) await shared.sync();
  expect(breaker.state).toBe(state);
}

describe('RedisCircuitState', () => {
  it('one instance trips: the other opens too, with the remaining time, and refuses without calling', async () => {
    const { breakerName, b } = await trippedFleet('trip');
    const refused = await b.breaker.execute(ok).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'CIRCUIT_OPEN', state: 'open' });
    expect((refused as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(200);
    const stored = await redisA.hgetall(`ward:cb:{${breakerName}}`);
    expect(stored.state).toBe('open');
    expect(await redisA.pttl(`ward:cb:{${breakerName}}`)).toBeGreaterThan(0);
  });

  it('when the period ends only one instance runs the trials; its passing trial closes the circuit for both', async () => {
    const { breakerName, a, b } = await trippedFleet('trials');
    const [winner, loser] = await trialRace(a, b);
    expect(loser.breaker.state).toBe('open');
    await expect(loser.breaker.execute(ok)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    await expect(winner.breaker.execute(ok)).resolves.toBe('ok');
    expect(winner.breaker.state).toBe('closed');
    await syncUntil(loser.shared, loser.breaker, 'closed');
    await expect(loser.breaker.execute(ok)).resolves.toBe('ok');
    // "closed" is a verdict of its own, not a missing key (which is no verdict at all), and the lease is gone.
    expect(await redisA.hgetall(`ward:cb:{${breakerName}}`)).toEqual({ state: 'closed' });
    expect(await redisA.exists(`ward:cb:{${breakerName}}:trials`)).toBe(0);
  });

  it('a failed trial opens the circuit again for everyone, for a new period', async () => {
    const { breakerName, a, b } = await trippedFleet('retrip');
    const [winner, loser] = await trialRace(a, b);
    await winner.breaker.execute(boom).catch(() => undefined);
    expect(winner.breaker.state).toBe('open');
    expect(winner.breaker.snapshot().trips).toBe(2);
    // The new period is written (the later end wins) and frees the lease: the next race is open to all.
    const key = `ward:cb:{${breakerName}}`;
    for (let i = 0; i < 100 && Number(await redisA.pttl(key)) < 86_400_000 + 1_000; i++) await loser.shared.sync();
    expect(await redisA.pttl(key)).toBeGreaterThan(86_400_000 + 1_000);
    expect(await redisA.exists(`${key}:trials`)).toBe(0);
    expect(loser.breaker.state).toBe('open');
    await loser.shared.sync();
    expect(loser.breaker.snapshot().retryAfterMs).toBeGreaterThan(1_000); // following the fleet's longer period
  });

  it('Redis stopped: each breaker acts alone (trips, trials, closes), the outage is reported once, sharing resumes after', async () => {
    const { server, client } = await privateRedis(cleanup);
    const events: SharedStateEvent[] = [];
    const a = instance(client, name('outage'), events);
    await server.stop();
    await a.breaker.execute(boom).catch(() => undefined);
    await a.breaker.execute(boom).catch(() => undefined);
    expect(a.breaker.state).toBe('open');
    await reaches(a.breaker, 'half-open'); // the lease cannot be claimed: this instance runs its own trials
    await a.shared.sync();
    await a.shared.sync();
    expect(events.map((e) => e.type)).toEqual(['degraded']);
    await expect(a.breaker.execute(ok)).resolves.toBe('ok');
    expect(a.breaker.state).toBe('closed');
    await server.start();
    await new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', () => resolve())));
    await a.shared.sync();
    expect(events.map((e) => e.type)).toEqual(['degraded', 'recovered']);
  });

  it('an open period that could not be written while Redis was away is written when it is back, and the others follow', async () => {
    const { server, client } = await privateRedis(cleanup);
    const other = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    other.on('error', () => undefined);
    cleanup.push(() => other.disconnect());
    await new Promise<void>((resolve) => (other.status === 'ready' ? resolve() : other.once('ready', () => resolve())));
    const breakerName = name('unwritten');
    const a = instance(client, breakerName, [], 60_000);
    const b = instance(other, breakerName, [], 60_000);
    await server.stop();
    await a.breaker.execute(boom).catch(() => undefined);
    await a.breaker.execute(boom).catch(() => undefined);
    expect(a.breaker.state).toBe('open');
    await a.shared.sync(); // still down: nothing written, nothing read
    await server.start();
    await new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', () => resolve())));
    await new Promise<void>((resolve) => (other.status === 'ready' ? resolve() : other.once('ready', () => resolve())));
    await a.shared.sync();
    expect(a.breaker.state).toBe('open'); // its own period, not "closed" read from an empty Redis
    await b.shared.sync();
    expect(b.breaker.state).toBe('open');
    expect(b.breaker.snapshot().retryAfterMs).toBeGreaterThan(50_000);
  });

  it('the verdict key deleted (evicted) mid-period: no instance closes, the period is written again, a newcomer follows it', async () => {
    const { breakerName, a, b } = await trippedFleet('evicted', 60_000);
    const key = `ward:cb:{${breakerName}}`;
    await redisA.del(key);
    await a.shared.sync();
    await b.shared.sync();
    expect([a.breaker.state, b.breaker.state]).toEqual(['open', 'open']);
    // The re-publish is written after the read that found nothing: wait for it through the key itself.
    for (let i = 0; i < 100 && (await redisA.hget(key, 'state')) !== 'open'; i++) await a.shared.sync();
    expect(await redisA.hget(key, 'state')).toBe('open');
    expect(await redisA.pttl(key)).toBeGreaterThan(86_400_000 + 50_000);
    const newcomer = instance(redisB, breakerName, [], 60_000);
    await newcomer.shared.sync();
    expect(newcomer.breaker.state).toBe('open');
    expect(newcomer.breaker.snapshot().retryAfterMs).toBeGreaterThan(50_000);
    await expect(a.breaker.execute(ok)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
  });

  it('Redis restarted empty mid-period: no instance closes, the period is written again, a newcomer follows it', async () => {
    const { server, client } = await privateRedis(cleanup);
    const other = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    other.on('error', () => undefined);
    cleanup.push(() => other.disconnect());
    await ready(other);
    const { breakerName, a, b } = await trippedFleet('restarted', 60_000, [client, other]);
    const key = `ward:cb:{${breakerName}}`;
    await server.stop();
    await server.start(); // same port, no data
    await ready(client);
    await ready(other);
    expect(await client.exists(key)).toBe(0);
    const moves: string[] = [];
    a.breaker.on('stateChange', (e) => moves.push(`a:${e.to}`));
    b.breaker.on('stateChange', (e) => moves.push(`b:${e.to}`));
    await b.shared.sync();
    await a.shared.sync();
    expect(moves).toEqual([]);
    for (let i = 0; i < 100 && (await client.hget(key, 'state')) !== 'open'; i++) await a.shared.sync();
    expect(await client.hget(key, 'state')).toBe('open');
    const newcomer = instance(other, breakerName, [], 60_000);
    await newcomer.shared.sync();
    expect(newcomer.breaker.state).toBe('open');
    expect(newcomer.breaker.snapshot().retryAfterMs).toBeGreaterThan(50_000);
    await b.shared.sync();
    await a.shared.sync();
    expect(moves).toEqual([]);
  });

  it('a period that ends with its verdict gone runs trials (one instance) instead of closing; their pass closes both', async () => {
    const { a, b, breakerName } = await trippedFleet('gone-at-end', 1_000);
    await redisA.del(`ward:cb:{${breakerName}}`);
    // No sync runs (syncMs is a minute): the period's end meets the missing verdict.
    const first = await Promise.race([a, b].map((x) => new Promise<string>((resolve) => x.breaker.on('stateChange', (e) => resolve(e.to)))));
    expect(first).toBe('half-open');
    const [winner, loser] = a.breaker.state === 'half-open' ? [a, b] : [b, a];
    expect(loser.breaker.state).toBe('open');
    await expect(winner.breaker.execute(ok)).resolves.toBe('ok');
    await syncUntil(loser.shared, loser.breaker, 'closed');
  });

  it('refuses a client that is not ioredis and bad intervals when built', () => {
    expect(() => new RedisCircuitState({ client: {} })).toThrow(/ioredis/);
    expect(() => new RedisCircuitState({ client: redisA, syncMs: 1 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ shared: {} as never })).toThrow(/shared/);
  });
});

describe('a verdict read while the breaker moves', () => {
  it('a read in flight when the breaker trips does not close it again with its stale answer', async () => {
    const shared = new RedisCircuitState({ client: redisA, syncMs: 60_000 });
    const breaker = new CircuitBreaker({ name: name('stale-read'), windowSize: 1, minimumCalls: 1, openDurationMs: 10_000, registry: false, shared });
    cleanup.push(() => breaker.close());
    cleanup.push(() => shared.close());
    const moves: string[] = [];
    breaker.on('stateChange', (e) => moves.push(`${e.from}>${e.to}:${e.reason}`));
    const reading = shared.sync();
    await breaker.execute(boom).catch(() => undefined);
    await reading;
    expect(breaker.state).toBe('open');
    expect(moves).toEqual(['closed>open:failure-rate']);
  });
});
