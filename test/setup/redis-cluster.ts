/**
 * A real Redis Cluster for tests: three private masters in cluster mode,
 * the slots split three ways, joined with CLUSTER MEET, and ioredis
 * `Cluster` clients on it (no offline queue). Used by every store that
 * claims Cluster support.
 */
import { Cluster, Redis } from 'ioredis';
import { type PrivateRedis, freePort, startRedisServer } from './redis.js';

const SLOTS: [number, number][] = [
  [0, 5460],
  [5461, 10922],
  [10923, 16383],
];

export interface TestCluster {
  readonly nodes: readonly PrivateRedis[];
  /** A plain client per node, for checks (KEYS, SCRIPT FLUSH…). */
  readonly admins: readonly Redis[];
  /** A ready `Cluster` client, disconnected by {@link close}. */
  client(): Promise<Cluster>;
  close(): Promise<void>;
}

/** Polls CLUSTER INFO until every node says the cluster is ok (there is no event for it). */
async function clusterReady(admins: readonly Redis[]): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const states = await Promise.all(admins.map(async (a) => /cluster_state:ok/.test(String(await a.call('CLUSTER', 'INFO')))));
    if (states.every(Boolean)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the test cluster did not reach cluster_state:ok');
}

export async function startTestCluster(): Promise<TestCluster> {
  // Each node's cluster bus on a free port of its own (the default, port + 10 000, may not exist).
  const busPorts: number[] = [];
  for (let i = 0; i < SLOTS.length; i++) busPorts.push(await freePort());
  const nodes = await Promise.all(
    busPorts.map((bus) => startRedisServer({ extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(bus)] })),
  );
  const admins = nodes.map((n) => new Redis(n.url));
  await Promise.all(admins.map((a, i) => a.call('CLUSTER', 'ADDSLOTSRANGE', SLOTS[i]![0], SLOTS[i]![1])));
  for (let i = 1; i < nodes.length; i++) await admins[0]!.call('CLUSTER', 'MEET', '127.0.0.1', nodes[i]!.port, busPorts[i]!);
  await clusterReady(admins);
  const clients: Cluster[] = [];
  return {
    nodes,
    admins,
    async client() {
      const client = new Cluster(
        nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
        { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 0 } },
      );
      client.on('error', () => undefined);
      clients.push(client);
      await new Promise<void>((resolve, reject) => {
        client.once('ready', () => resolve());
        client.once('end', () => reject(new Error('cluster client ended before ready')));
      });
      return client;
    },
    async close() {
      for (const client of clients) client.disconnect();
      for (const admin of admins) admin.disconnect();
      await Promise.all(nodes.map((n) => n.close()));
    },
  };
}
