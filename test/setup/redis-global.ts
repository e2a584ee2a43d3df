/**
 * vitest global set-up: gives every test file a Redis URL through
 * `inject('redisUrl')`.
 *
 * - `REDIS_URL` set: that server is used as is (a disposable one: tests
 *   write keys to it), nothing is started.
 * - Otherwise a private `redis-server` is started on a free 127.0.0.1 port
 *   (never the machine's own 6379), with nothing persisted, and killed at
 *   teardown. It is ready in a few tens of milliseconds, so running one test
 *   file stays fast.
 * - Neither: the run fails with how to get one.
 *
 * Tests that need a server they can stop and restart start their own with
 * `startRedisServer()` from `./redis.js`.
 */
import type { TestProject } from 'vitest/node';
import { HOW_TO_GET_REDIS, RedisSetupError, findRedisServer, startRedisServer } from './redis.js';

declare module 'vitest' {
  interface ProvidedContext {
    /** `redis://…` of the Redis the tests share: `REDIS_URL`, or the private server of this run. */
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const fromEnv = process.env['REDIS_URL'];
  if (fromEnv !== undefined && fromEnv !== '') {
    project.provide('redisUrl', fromEnv);
    return undefined;
  }
  if (findRedisServer() === undefined) {
    throw new RedisSetupError(`The tests need Redis: no redis-server on PATH and REDIS_URL is not set. ${HOW_TO_GET_REDIS}`);
  }
  const server = await startRedisServer();
  project.provide('redisUrl', server.url);
  return () => server.close();
}
