/**
 * DESIGN.md rule 8 through real HTTP on every stack (engine, Express 5 and
 * 4, Fastify 5): a RedisStore limiter serves traffic, its private Redis is
 * stopped mid-traffic and brought back. Under `memory` and `open` no request
 * gets a 5xx; under `closed` each gets a 503 RATE_LIMIT_UNAVAILABLE, never
 * a 429; once Redis is back (and the breaker's openMs has passed on the
 * injected clock) Redis decides again by itself.
 */
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { request } from '@ward/core/testing';
import { type FailureMode, RedisStore, type StoreEvent, rateLimit } from '@ward/rate-limit';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startRedisServer } from '../setup/redis.js';
import { STACKS } from '../timeout/stacks.js';

const OPEN_MS = 1_000;

for (const stack of STACKS) {
  describe(`${stack.name}: a Redis outage under real traffic`, () => {
    let server: PrivateRedis;
    let client: Redis;
    let inspect: Redis;
    const clock = { now: 1_700_000_000_000 };
    const events: StoreEvent[] = [];
    const name = `hf-${randomUUID().slice(0, 8)}`;
    let url = '';
    let close: () => Promise<void> = async () => undefined;

    beforeAll(async () => {
      server = await startRedisServer();
      client = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 20 });
      client.on('error', () => undefined);
      inspect = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 20 });
      inspect.on('error', () => undefined);
      await Promise.all([once(client, 'ready'), once(inspect, 'ready')]);
      // The script runs on the injected clock here, so the fields are exact (the server clock is tested in redis-store.test.ts).
      const store = new RedisStore({ client, now: () => clock.now });
      const limiter = (mode: FailureMode, path: string) =>
        rateLimit({
          name: `${name}-${mode}`,
          policies: [{ name: 'api', limit: 1_000, windowMs: 60_000 }],
          store,
          failureMode: mode,
          storeTimeoutMs: 5_000,
          breaker: { failures: 1, openMs: OPEN_MS },
          now: () => clock.now,
          onStoreEvent: (event) => events.push(event),
          registry: new Registry(),
          skip: (ctx) => ctx.req.path !== path,
        });
      const app = await stack.start({
        chain: [limiter('memory', '/memory'), limiter('open', '/open'), limiter('closed', '/closed')],
        routes: Object.fromEntries(['/memory', '/open', '/closed'].map((path) => [path, (io) => io.json(200, { path })])),
      });
      url = app.url;
      close = () => app.close();
    });
    afterAll(async () => {
      await close();
      client.disconnect();
      inspect.disconnect();
      await server.close();
    });

    const key = (mode: FailureMode) => `ward:rl:{${name}-${mode}:ip:127.0.0.1}`;
    const statuses = async (path: string, n: number) => {
      const answers = await Promise.all(Array.from({ length: n }, () => request(`${url}${path}`)));
      return answers;
    };

    it('Redis decides while it is up; down: memory and open never 5xx, closed is 503 (never 429); back: Redis decides again by itself', async () => {
      // Up: every mode is decided by Redis, 20 requests each.
      for (const mode of ['memory', 'open', 'closed'] as const) {
        const answers = await statuses(`/${mode}`, 20);
        expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
        expect(answers.map((a) => a.headers['ratelimit']).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `"api";r=${999 - i};t=${Math.ceil(((i + 1) * 60) / 1000)}`).sort());
      }
      expect(await inspect.get(key('memory'))).toMatch(/^\d+ \d+$/);

      // Down, mid-traffic: requests in flight and after.
      const inFlight = statuses('/memory', 30);
      const closed = once(client, 'close');
      await server.stop();
      await closed;
      const during = await inFlight;
      expect(during.every((a) => a.status === 200)).toBe(true);
      const memory = await statuses('/memory', 20);
      expect(memory.map((a) => a.status)).toEqual(Array(20).fill(200));
      // The fallback decides (a fresh local bucket): its fields are on the answers.
      expect(memory.every((a) => /^"api";r=\d+;t=\d+$/.test(String(a.headers['ratelimit'])))).toBe(true);
      const open = await statuses('/open', 10);
      expect(open.map((a) => [a.status, a.headers['ratelimit']])).toEqual(Array(10).fill([200, undefined]));
      const refused = await statuses('/closed', 10);
      for (const answer of refused) {
        expect(answer.status).toBe(503);
        expect(answer.headers['content-type']).toBe('application/problem+json');
        expect(answer.headers['retry-after']).toBe('1');
        expect(answer.json<{ code: string }>().code).toBe('RATE_LIMIT_UNAVAILABLE');
      }
      expect(events.filter((e) => e.type === 'degraded').map((e) => e.limiter).sort()).toEqual([`${name}-closed`, `${name}-memory`, `${name}-open`]);

      // Back: once the client is ready and the breaker's open time has passed, Redis decides again.
      const ready = new Promise<void>((resolve) => client.once('ready', () => resolve()));
      await server.start();
      await ready;
      await new Promise<void>((resolve) => (inspect.status === 'ready' ? resolve() : inspect.once('ready', () => resolve())));
      clock.now += OPEN_MS;
      for (const mode of ['memory', 'open', 'closed'] as const) {
        // The first is the breaker's one probe; the other four follow once it closed.
        const answers = [...(await statuses(`/${mode}`, 1)), ...(await statuses(`/${mode}`, 4))];
        expect(answers.map((a) => a.status)).toEqual(Array(5).fill(200));
        // The restarted server is empty: these five are its first decisions for the key.
        expect(answers.map((a) => a.headers['ratelimit']).sort()).toEqual([995, 996, 997, 998, 999].map((r) => `"api";r=${r};t=${Math.ceil(((1_000 - r) * 60) / 1000)}`).sort());
        expect(await inspect.exists(key(mode))).toBe(1);
      }
      expect(events.filter((e) => e.type === 'recovered').map((e) => e.limiter).sort()).toEqual([`${name}-closed`, `${name}-memory`, `${name}-open`]);
    });
  });
}
