/**
 * What the Redis outage tests of @ward/auth share: a private redis-server
 * (to stop and restart) and a client that never queues while it is down
 * and reconnects by itself, both cleaned up after the test.
 */
import { Redis } from 'ioredis';
import { type PrivateRedis, startRedisServer } from '../setup/redis.js';

/** A private server and a ready client on it, with their cleanups pushed to `cleanup`. */
export async function privateRedis(cleanup: (() => unknown)[]): Promise<{ server: PrivateRedis; client: Redis }> {
  const server = await startRedisServer();
  cleanup.push(() => server.close());
  const client = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  client.on('error', () => undefined);
  cleanup.push(() => client.disconnect());
  await new Promise<void>((resolve) => client.once('ready', () => resolve()));
  return { server, client };
}
