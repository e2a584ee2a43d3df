/**
 * RedisStore on a real Redis Cluster: three private masters (cluster mode,
 * slots split three ways, joined with CLUSTER MEET), an ioredis `Cluster`
 * client. Every decision touches one hash-tagged key, so keys on every
 * node decide, a fleet of clients shares one bucket exactly, and a node
 * that lost its scripts (`SCRIPT FLUSH`) is answered with EVAL on the same
 * call.
 */
import type { Cluster } from 'ioredis';
import { RedisStore, createRateLimiter } from '@ward/rate-limit';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestCluster, startTestCluster } from '../setup/redis-cluster.js';
import { namer } from './helpers.js';

const uniqueName = namer('rc');
let test: TestCluster;
const cluster = (): Promise<Cluster> => test.client();

function limiterOn(client: Cluster, name: string, limit: number) {
  return createRateLimiter({
    name,
    policies: [{ name: 'day', limit, windowMs: 86_400_000 }],
    store: new RedisStore({ client }),
    failureMode: 'closed',
    storeTimeoutMs: 10_000,
    registry: new Registry(),
    onStoreEvent: () => undefined,
  });
}

beforeAll(async () => {
  test = await startTestCluster();
}, 30_000);
afterAll(() => test.close());

describe('RedisStore on Redis Cluster', () => {
  it('decides keys on every node, each key one slot, one script call each', async () => {
    const client = await cluster();
    const name = uniqueName('spread');
    const limiter = limiterOn(client, name, 2);
    const keys = Array.from({ length: 30 }, (_, i) => `user:${i}`);
    for (const key of keys) expect((await limiter.consume(key)).outcome).toBe('allowed');
    for (const key of keys) expect((await limiter.consume(key)).remaining).toBe(0);
    for (const key of keys) expect((await limiter.consume(key)).outcome).toBe('limited');
    // The keys landed on all three nodes, each whole key on the node owning its hash tag's slot.
    const perNode = await Promise.all(test.admins.map(async (a) => (await a.keys(`ward:rl:{${name}:*`)).length));
    expect(perNode.every((n) => n > 0)).toBe(true);
    expect(perNode.reduce((a, b) => a + b, 0)).toBe(30);
  });

  it('four cluster clients (four app servers), 1 000 concurrent decisions against capacity 50: exactly 50 allowed', async () => {
    const clients = await Promise.all([cluster(), cluster(), cluster(), cluster()]);
    const name = uniqueName('fleet');
    const limiters = clients.map((c) => limiterOn(c, name, 50));
    const decisions = await Promise.all(Array.from({ length: 1_000 }, (_, i) => limiters[i % 4]!.consume('shared')));
    expect(decisions.filter((d) => d.outcome === 'allowed')).toHaveLength(50);
    expect(decisions.filter((d) => d.outcome === 'limited')).toHaveLength(950);
    expect(decisions.every((d) => d.source === 'store')).toBe(true);
  });

  it('a node that lost its scripts (SCRIPT FLUSH) still decides on that call (EVAL), then by EVALSHA again', async () => {
    const client = await cluster();
    const limiter = limiterOn(client, uniqueName('noscript'), 10);
    expect((await limiter.consume('k')).remaining).toBe(9);
    await Promise.all(test.admins.map((a) => a.script('FLUSH')));
    expect((await limiter.consume('k')).remaining).toBe(8);
    expect((await limiter.consume('k')).remaining).toBe(7);
  });
});
