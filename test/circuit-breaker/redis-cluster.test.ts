/**
 * RedisCircuitState on a real Redis Cluster (three masters): each
 * breaker's verdict and trial lease share a hash slot, so its two-key
 * scripts run on whichever node owns it. Breakers spread over every node
 * trip together, hand their trials to one instance and close for both.
 */
import { CircuitBreaker, RedisCircuitState } from '@ward/circuit-breaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestCluster, startTestCluster } from '../setup/redis-cluster.js';
import { reaches } from './helpers.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster();
}, 30_000);
afterAll(() => cluster.close());

describe('RedisCircuitState on Redis Cluster', () => {
  it('breakers on every node: trip together, one instance runs the trials, both close', async () => {
    const sharedA = new RedisCircuitState({ client: await cluster.client(), syncMs: 60_000 });
    const sharedB = new RedisCircuitState({ client: await cluster.client(), syncMs: 60_000 });
    const names = Array.from({ length: 9 }, (_, i) => `cluster-${i}`);
    const make = (shared: RedisCircuitState, name: string) => new CircuitBreaker({ name, windowSize: 1, minimumCalls: 1, openDurationMs: 150, halfOpenCalls: 1, registry: false, shared });
    const pairs = names.map((name) => ({ a: make(sharedA, name), b: make(sharedB, name) }));
    try {
      for (const { a } of pairs) await a.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
      // The verdicts are written in the background; B follows them at its syncs.
      for (let i = 0; i < 200 && pairs.some(({ b }) => b.state !== 'open'); i++) await sharedB.sync();
      expect(pairs.map(({ b }) => b.state)).toEqual(names.map(() => 'open'));
      const perNode = await Promise.all(cluster.admins.map(async (admin) => (await admin.keys('ward:cb:{cluster-*}')).length));
      expect(perNode.reduce((x, y) => x + y, 0)).toBe(names.length);
      expect(perNode.every((n) => n > 0)).toBe(true);
      // All at once: a lease lasts 1 s, and a winner idle in half-open past it would share its trials.
      await Promise.all(
        pairs.map(async ({ a, b }) => {
          await Promise.race([reaches(a, 'half-open'), reaches(b, 'half-open')]);
          const [winner, loser] = a.state === 'half-open' ? [a, b] : [b, a];
          expect(loser.state).toBe('open');
          await winner.execute(() => Promise.resolve('ok'));
          expect(winner.state).toBe('closed');
        }),
      );
      for (let i = 0; i < 100 && pairs.some(({ a, b }) => a.state !== 'closed' || b.state !== 'closed'); i++) await Promise.all([sharedA.sync(), sharedB.sync()]);
      expect(pairs.flatMap(({ a, b }) => [a.state, b.state])).toEqual(pairs.flatMap(() => ['closed', 'closed']));
    } finally {
      for (const { a, b } of pairs) {
        a.close();
        b.close();
      }
    }
  });
});
