/**
 * RedisCacheStore on a real Redis Cluster (three masters): entries and tag
 * sets spread over every node, since no command touches two keys; tag,
 * prefix (a SCAN of every master) and resource invalidation reach them
 * all; the fleet lock works; a node that lost its scripts is answered with
 * EVAL on the same call.
 */
import { type CachedResponse, RedisCacheStore } from '@ward/cache';
import CachePolicy from 'http-cache-semantics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestCluster, startTestCluster } from '../setup/redis-cluster.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster();
}, 30_000);
afterAll(() => cluster.close());

const entry = (body: string, tags: string[]): CachedResponse => ({
  status: 200,
  headers: { 'content-type': 'text/plain' },
  body,
  policy: new CachePolicy({ url: '/', headers: {} }, { status: 200, headers: { 'cache-control': 'max-age=60' } }),
  staleWhileRevalidate: 0,
  staleIfError: 0,
  shareable: false,
  tags,
});

describe('RedisCacheStore on Redis Cluster', () => {
  it('entries on every node; tags, prefixes and locks work across them; scripts come back after SCRIPT FLUSH', async () => {
    const store = new RedisCacheStore({ client: await cluster.client(), prefix: 'cc:' });
    const keys = Array.from({ length: 30 }, (_, i) => `/items/${i}?|http://h`);
    for (const [i, key] of keys.entries()) await store.set(key, entry(`item ${i}`, i % 2 === 0 ? ['even'] : ['odd']), 60_000);
    const perNode = await Promise.all(cluster.admins.map(async (a) => (await a.keys('cc:/items/*')).length));
    expect(perNode.every((n) => n > 0)).toBe(true);
    expect(perNode.reduce((a, b) => a + b, 0)).toBe(30);
    expect(((await store.get(keys[3]!)) as CachedResponse).body).toBe('item 3');

    await store.deleteTag('even');
    expect(await store.get(keys[0]!)).toBeUndefined();
    expect(await store.get(keys[1]!)).toBeDefined();
    await store.deletePrefix('/items/');
    const left = await Promise.all(cluster.admins.map(async (a) => (await a.keys('cc:/items/*')).length));
    expect(left).toEqual([0, 0, 0]);

    const release = await store.lock('/slow?|http://h', 5_000);
    expect(release).toBeDefined();
    expect(await store.lock('/slow?|http://h', 5_000)).toBeUndefined();
    await release!();
    expect(await store.lock('/slow?|http://h', 5_000)).toBeDefined();

    await Promise.all(cluster.admins.map((a) => a.script('FLUSH')));
    await store.set('/again?|http://h', entry('again', ['t']), 60_000);
    expect(((await store.get('/again?|http://h')) as CachedResponse).body).toBe('again');
  });
});
