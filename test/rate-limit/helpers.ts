/**
 * What the Redis tests of @ward/rate-limit share: unique limiter names per
 * run (the shared server is never flushed), cleanups run after each test,
 * connected clients, and a seeded random source for long scripted sequences.
 */
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { afterEach } from 'vitest';

/** Names unique to this run: `<prefix>-<run>-<label>-<n>`. */
export function namer(prefix: string): (label: string) => string {
  const run = randomUUID().slice(0, 8);
  let serial = 0;
  return (label) => `${prefix}-${run}-${label}-${++serial}`;
}

/** Registers `afterEach` to run the pushed cleanups, last first; returns the list to push to. */
export function cleanups(): (() => unknown)[] {
  const list: (() => unknown)[] = [];
  afterEach(async () => {
    while (list.length > 0) await list.pop()!();
  });
  return list;
}

/** A connected client (the store refuses a client that is not `ready`); disconnected by `cleanup` when given. */
export async function connect(url: string, options: RedisOptions = {}, cleanup?: (() => unknown)[]): Promise<Redis> {
  const client = new Redis(url, { ...options, lazyConnect: true });
  client.on('error', () => {
    // Errors surface as rejected commands (or the failure mode); the event only needs a listener.
  });
  cleanup?.push(() => client.disconnect());
  await client.connect();
  return client;
}

/** mulberry32: integers in [0, n), the same sequence for the same seed on every run. */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed | 0;
  return (n) => {
    state = (state + 0x6d2b79f5) | 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % n;
  };
}
