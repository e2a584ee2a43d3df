/**
 * The Redis test set-up: the shared server the global set-up provides, and
 * private servers fault tests stop, freeze and restart.
 */
import { type AddressInfo, connect, createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type PrivateRedis, PortTakenError, RedisSetupError, freePort, startRedisServer } from '../setup/redis.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

/** A client that fails fast instead of queueing, and reconnects every 20 ms. */
function client(url: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    retryStrategy: () => 20,
  });
  const errors: unknown[] = [];
  redis.on('error', (error) => errors.push(error));
  cleanup.push(() => redis.disconnect());
  return redis;
}

async function server(): Promise<PrivateRedis> {
  const redis = await startRedisServer();
  cleanup.push(() => redis.close());
  return redis;
}

/** Resolves with the first error event whose code is `code`. */
function errorWithCode(redis: Redis, code: string): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      if (error.code !== code) return;
      redis.off('error', onError);
      resolve(error);
    };
    redis.on('error', onError);
  });
}

/** True when something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('global set-up', () => {
  it('provides a Redis URL that answers PING', async () => {
    const url = inject('redisUrl');
    expect(url).toMatch(/^rediss?:\/\//);
    const redis = client(url);
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
  });

  it('starts its own server on a free port, not the machine Redis on 6379', () => {
    const url = new URL(inject('redisUrl'));
    if (process.env['REDIS_URL']) {
      expect(url.href).toBe(new URL(process.env['REDIS_URL']).href);
    } else {
      expect(url.hostname).toBe('127.0.0.1');
      expect(url.port).not.toBe('6379');
      expect(Number(url.port)).toBeGreaterThan(0);
    }
  });
});

describe('private servers', () => {
  it('starts on a free port with nothing persisted', async () => {
    const redis = await server();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(redis.port).not.toBe(6379);
    expect(redis.running).toBe(true);
    const c = client(redis.url);
    await c.connect();
    expect(await c.config('GET', 'save')).toEqual(['save', '']);
    expect(await c.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    expect(await c.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
  });

  it('two servers get two ports', async () => {
    const [a, b] = await Promise.all([server(), server()]);
    expect(a.port).not.toBe(b.port);
  });

  it('stop → ioredis fails with connection refused; start → it recovers on the same port', async () => {
    const redis = await server();
    const port = redis.port;
    const c = client(redis.url);
    await c.connect();
    await c.set('k', 'v');
    expect(await c.get('k')).toBe('v');

    const refused = errorWithCode(c, 'ECONNREFUSED');
    await redis.stop();
    expect(redis.running).toBe(false);
    expect(await accepts(port)).toBe(false);
    const error = await refused;
    expect(error.message).toContain(`127.0.0.1:${port}`);
    // No offline queue: a command fails at once instead of waiting.
    await expect(c.ping()).rejects.toThrow(/enableOfflineQueue|Connection is closed|writeable/);

    // Not events.once(): that rejects on the 'error' events of failed reconnects.
    const ready = new Promise<void>((resolve) => c.once('ready', () => resolve()));
    await redis.start();
    expect(redis.port).toBe(port);
    expect(redis.url).toBe(`redis://127.0.0.1:${port}`);
    await ready;
    expect(await c.ping()).toBe('PONG');
    // Restarted empty: nothing was saved.
    expect(await c.get('k')).toBeNull();
  });

  it('stop and start are idempotent', async () => {
    const redis = await server();
    await redis.stop();
    await redis.stop();
    expect(redis.running).toBe(false);
    await redis.start();
    await redis.start();
    expect(redis.running).toBe(true);
    expect(await accepts(redis.port)).toBe(true);
  });

  it('freeze makes commands time out; thaw answers again', async () => {
    const redis = await server();
    const c = new Redis(redis.url, { lazyConnect: true, commandTimeout: 100, maxRetriesPerRequest: 0, retryStrategy: () => 20 });
    c.on('error', () => {});
    cleanup.push(() => c.disconnect());
    await c.connect();
    redis.freeze();
    await expect(c.ping()).rejects.toThrow('Command timed out');
    redis.thaw();
    expect(await c.ping()).toBe('PONG');
  });

  it('close stops the server for good', async () => {
    const redis = await startRedisServer();
    await redis.close();
    await redis.close();
    expect(redis.running).toBe(false);
    expect(await accepts(redis.port)).toBe(false);
    await expect(redis.start()).rejects.toThrow(RedisSetupError);
  });

  it('a frozen server still stops', async () => {
    const redis = await server();
    redis.freeze();
    await redis.stop();
    expect(redis.running).toBe(false);
    expect(await accepts(redis.port)).toBe(false);
  });

  it('without a redis-server binary, fails saying how to get one', async () => {
    const error = await startRedisServer({ binary: 'no-such-redis-server-binary' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisSetupError);
    expect((error as Error).message).toContain('apt-get install -y redis-server');
    expect((error as Error).message).toContain('REDIS_URL');
  });
});

describe('security: never the machine Redis', () => {
  it('freePort never returns 6379 and always a bindable port', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).not.toBe(6379);
      expect(port).toBeGreaterThan(1024);
    }
  });

  it('refuses 6379 even when offered it, without starting anything there', async () => {
    const offered: number[] = [];
    const error = await startRedisServer({
      attempts: 3,
      pickPort: async () => {
        offered.push(6379);
        return 6379;
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisSetupError);
    expect((error as Error).message).toBe("refusing port 6379: it belongs to the machine's own Redis");
    expect(offered).toEqual([6379, 6379, 6379]);
  });

  it('a port taken before redis binds it is reported, then another port is tried', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen({ port: 0, host: '127.0.0.1' }, resolve));
    cleanup.push(() => new Promise<void>((resolve) => holder.close(() => resolve())));
    const taken = (holder.address() as AddressInfo).port;

    const onlyTaken = await startRedisServer({ attempts: 1, pickPort: async () => taken }).catch((e: unknown) => e);
    expect(onlyTaken).toBeInstanceOf(PortTakenError);
    expect((onlyTaken as Error).message).toContain(`redis-server on port ${taken} exited`);

    const offered: number[] = [];
    const redis = await startRedisServer({
      attempts: 2,
      pickPort: async () => {
        const port = offered.length === 0 ? taken : await freePort();
        offered.push(port);
        return port;
      },
    });
    cleanup.push(() => redis.close());
    expect(offered).toHaveLength(2);
    expect(offered[0]).toBe(taken);
    expect(redis.port).toBe(offered[1]);
    expect(redis.port).not.toBe(taken);
    const c = client(redis.url);
    await c.connect();
    expect(await c.ping()).toBe('PONG');
  });
});
