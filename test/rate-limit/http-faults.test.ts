/**
 * DESIGN.md rule 8 through real HTTP on every stack (engine, Express 5 and
 * 4, Fastify 5): RedisStore limiters serve traffic, their private Redis
 * freezes with 30 decisions waiting on it and then goes away, and comes
 * back. Under `memory` and `open` no request gets a 5xx; under `closed`
 * each gets a 503 RATE_LIMIT_UNAVAILABLE, never a 429; once Redis is back
 * (and the breaker's openMs has passed on the injected clock) Redis decides
 * again by itself.
 */
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Middleware } from '@ward/core';
import { request } from '@ward/core/testing';
import { type FailureMode, RedisStore, type StoreEvent, rateLimit } from '@ward/rate-limit';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startRedisServer } from '../setup/redis.js';
import { STACKS } from '../timeout/stacks.js';

const OPEN_MS = 1_000;
const MODES = ['memory', 'open', 'closed'] as const;

/** `"api";r=<r>;t=<t>` after `1000 - r` tokens of 60 ms each were spent. */
const field = (r: number) => `"api";r=${r};t=${Math.ceil(((1_000 - r) * 60) / 1000)}`;

describe('a Redis outage under real traffic', () => {
  for (const stack of STACKS) {
    it(`${stack.name}: Redis decides while up; down: memory and open never 5xx, closed is 503 (never 429); back: Redis decides again by itself`, async () => {
      const server = await startRedisServer();
      // No reconnect loop: the test reconnects by hand once the server is back.
      const options = { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null };
      const client = new Redis(server.url, options);
      const inspect = new Redis(server.url, options);
      client.on('error', () => undefined);
      inspect.on('error', () => undefined);
      const clock = { now: 1_700_000_000_000 };
      const events: StoreEvent[] = [];
      const name = `hf-${randomUUID().slice(0, 8)}`;
      // Counts requests that reached the chain, so the outage starts only once they all wait on Redis.
      let arrivals = { count: 0, target: Number.POSITIVE_INFINITY, all: () => {} };
      let close: () => Promise<void> = async () => undefined;
      try {
        await Promise.all([once(client, 'ready'), once(inspect, 'ready')]);
        // The script runs on the injected clock here, so the fields are exact (the server clock is tested in redis-store.test.ts).
        const store = new RedisStore({ client, now: () => clock.now });
        const limiter = (mode: FailureMode): Middleware =>
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
            skip: (ctx) => ctx.req.path !== `/${mode}`,
          });
        const arrived: Middleware = (_ctx, next) => {
          if (++arrivals.count === arrivals.target) arrivals.all();
          return next();
        };
        const app = await stack.start({
          chain: [arrived, ...MODES.map(limiter)],
          routes: Object.fromEntries(MODES.map((mode) => [`/${mode}`, (io) => io.json(200, { mode })])),
        });
        close = () => app.close();
        const send = (path: string, n: number) => Promise.all(Array.from({ length: n }, () => request(`${app.url}${path}`)));
        const key = (mode: FailureMode) => `ward:rl:{${name}-${mode}:ip:127.0.0.1}`;

        // Up: Redis decides every mode, 20 requests each.
        for (const mode of MODES) {
          const answers = await send(`/${mode}`, 20);
          expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
          expect(answers.map((a) => a.headers['ratelimit']).sort()).toEqual(Array.from({ length: 20 }, (_, i) => field(999 - i)).sort());
          expect(await inspect.get(key(mode))).toMatch(/^\d+ \d+$/);
        }

        // Down with decisions in flight: 30 wait on a frozen Redis when it goes away.
        server.freeze();
        const allArrived = new Promise<void>((resolve) => (arrivals = { count: 0, target: 30, all: resolve }));
        const inFlight = send('/memory', 30);
        await allArrived;
        // Not events.once: it rejects on the client's 'error' (the ECONNRESET of the killed server) before 'close'.
        const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
        await server.stop();
        await closed;
        expect((await inFlight).map((a) => a.status)).toEqual(Array(30).fill(200));

        // Down: the fallback decides (its fields on the answers), open lets through, closed refuses with a 503.
        const memory = await send('/memory', 20);
        expect(memory.map((a) => a.status)).toEqual(Array(20).fill(200));
        for (const answer of memory) expect(answer.headers['ratelimit']).toMatch(/^"api";r=\d+;t=\d+$/);
        const open = await send('/open', 10);
        expect(open.map((a) => [a.status, a.headers['ratelimit']])).toEqual(Array(10).fill([200, undefined]));
        for (const answer of await send('/closed', 10)) {
          expect(answer.status).toBe(503);
          expect(answer.headers['content-type']).toBe('application/problem+json');
          expect(answer.headers['retry-after']).toBe('1');
          expect(answer.json<{ code: string }>().code).toBe('RATE_LIMIT_UNAVAILABLE');
        }
        expect(events.filter((e) => e.type === 'degraded').map((e) => e.limiter).sort()).toEqual(MODES.map((m) => `${name}-${m}`).sort());

        // Back: once connected and the breaker's open time has passed, Redis decides again.
        await server.start();
        await Promise.all([client.connect(), inspect.connect()]);
        clock.now += OPEN_MS;
        for (const mode of MODES) {
          // The first is the breaker's one probe; the other four follow once it closed.
          const answers = [...(await send(`/${mode}`, 1)), ...(await send(`/${mode}`, 4))];
          expect(answers.map((a) => a.status)).toEqual(Array(5).fill(200));
          // The restarted server is empty: these five are its first decisions for the key.
          expect(answers.map((a) => a.headers['ratelimit']).sort()).toEqual([995, 996, 997, 998, 999].map(field).sort());
          expect(await inspect.exists(key(mode))).toBe(1);
        }
        expect(events.filter((e) => e.type === 'recovered').map((e) => e.limiter).sort()).toEqual(MODES.map((m) => `${name}-${m}`).sort());
      } finally {
        await close();
        client.disconnect();
        inspect.disconnect();
        await server.close();
      }
    });
  }
});
