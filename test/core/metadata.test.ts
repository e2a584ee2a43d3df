/**
 * Rule 10: middleware carry their name and a JSON-safe, redacted description
 * of their options (redact, defineMiddleware, describeMiddleware, describeChain).
 */
import { describe, expect, it } from 'vitest';
import { assertMiddleware, defineMiddleware, describeChain, describeMiddleware, type Middleware, redact } from '@ward/core';

describe('redact', () => {
  it('replaces secret-looking option values, at any depth', () => {
    const out = redact({
      secret: 's3cr3t',
      password: 'hunter2',
      passphrase: 'open sesame',
      apiKey: 'k-1',
      api_key: 'k-2',
      'x-api-key': 'k-3',
      'access-key': 'k-4',
      accessToken: 't',
      privateKey: 'pem',
      credentials: { user: 'u' },
      authorization: 'Bearer x',
      cookie: 'sid=1',
      key: 'raw',
      signingKey: 'sk',
      nested: { clientSecret: 'x', list: [{ token: 'y' }] },
    });
    expect(out).toEqual({
      secret: '[redacted]',
      password: '[redacted]',
      passphrase: '[redacted]',
      apiKey: '[redacted]',
      api_key: '[redacted]',
      'x-api-key': '[redacted]',
      'access-key': '[redacted]',
      accessToken: '[redacted]',
      privateKey: '[redacted]',
      credentials: '[redacted]',
      authorization: '[redacted]',
      cookie: '[redacted]',
      key: '[redacted]',
      signingKey: '[redacted]',
      nested: { clientSecret: '[redacted]', list: [{ token: '[redacted]' }] },
    });
  });

  it('keeps harmless names that merely contain "key", and boolean/undefined switches under secret-looking names', () => {
    expect(
      redact({ keyPrefix: 'rl:', keyGenerator: 'ip', secret: false, token: undefined, credentials: true, allowPrivateNetwork: true }),
    ).toEqual({
      keyPrefix: 'rl:',
      keyGenerator: 'ip',
      secret: false,
      credentials: true,
      allowPrivateNetwork: true,
    });
  });

  it('names functions', () => {
    function keyFor(): string {
      return 'k';
    }
    const anonymous = [() => 1][0];
    expect(redact({ keyFor, now: Date.now, inline: () => 1, anonymous })).toEqual({
      keyFor: '[function keyFor]',
      now: '[function now]',
      inline: '[function inline]',
      anonymous: '[function anonymous]',
    });
  });

  it('writes RegExps, Dates and URLs as text', () => {
    expect(redact({ path: /^\/api\//i, at: new Date(0), url: new URL('https://example.com/a?b=1') })).toEqual({
      path: '/^\\/api\\//i',
      at: '1970-01-01T00:00:00.000Z',
      url: 'https://example.com/a?b=1',
    });
  });

  it('cuts cycles', () => {
    const options: Record<string, unknown> = { name: 'a' };
    options.self = options;
    options.list = [options];
    expect(redact(options)).toEqual({ name: 'a', self: '[circular]', list: ['[circular]'] });
  });

  it('describes an object seen twice (not a cycle) both times', () => {
    const shared = { windowMs: 1000 };
    expect(redact({ a: shared, b: shared, list: [shared, shared] })).toEqual({
      a: { windowMs: 1000 },
      b: { windowMs: 1000 },
      list: [{ windowMs: 1000 }, { windowMs: 1000 }],
    });
  });

  it('names class instances (clients, maps) instead of walking them', () => {
    class Redis {
      password = 'p';
      status = 'ready';
    }
    expect(redact({ client: new Redis(), map: new Map([[1, 2]]), set: new Set(), buffer: Buffer.from('x') })).toEqual({
      client: '[Redis]',
      map: '[Map]',
      set: '[Set]',
      buffer: '[Buffer]',
    });
  });

  it('walks objects without a prototype', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(redact({ bare })).toEqual({ bare: { a: 1 } });
  });

  it('makes BigInt, NaN, ±Infinity and symbols JSON-safe', () => {
    const out = redact({ big: 10n, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY, sym: Symbol('x'), n: -0.5 });
    expect(out).toEqual({ big: '10n', nan: 'NaN', inf: 'Infinity', ninf: '-Infinity', sym: 'Symbol(x)', n: -0.5 });
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });

  it('drops undefined members and keeps null', () => {
    expect(redact({ a: undefined, b: null })).toEqual({ b: null });
  });
});

describe('defineMiddleware and describeMiddleware', () => {
  it('attaches a redacted description and returns the same function', () => {
    async function rateLimit(_ctx: unknown, next: () => Promise<void>): Promise<void> {
      await next();
    }
    const defined = defineMiddleware('rateLimit', { windowMs: 60_000, max: 100, redisPassword: 'p' }, rateLimit as Middleware);
    expect(defined).toBe(rateLimit);
    expect(describeMiddleware(defined)).toEqual({ name: 'rateLimit', options: { windowMs: 60_000, max: 100, redisPassword: '[redacted]' } });
  });

  it('keeps the description out of enumeration', () => {
    const fn = defineMiddleware('x', {}, ((_c, n) => n()) as Middleware);
    expect(Object.keys(fn)).toEqual([]);
    expect(JSON.stringify(Object.entries(fn))).toBe('[]');
  });

  it('describes plain functions by name, and nameless ones as anonymous', () => {
    async function audit(): Promise<void> {}
    expect(describeMiddleware(audit)).toEqual({ name: 'audit', options: {} });
    expect(describeMiddleware([() => undefined][0]!)).toEqual({ name: 'anonymous', options: {} });
  });

  it('refuses something that is not a function', () => {
    expect(() => defineMiddleware('broken', {}, 'nope' as unknown as Middleware)).toThrow(
      new TypeError('defineMiddleware(broken): expected a function, got string'),
    );
  });

  it('describeChain lists a chain in order', () => {
    const a = defineMiddleware('requestId', { header: 'x-request-id' }, ((_c, n) => n()) as Middleware);
    async function b(): Promise<void> {}
    expect(describeChain([a, b])).toEqual([
      { name: 'requestId', options: { header: 'x-request-id' } },
      { name: 'b', options: {} },
    ]);
  });

  it('assertMiddleware names where the bad value was', () => {
    expect(() => assertMiddleware(undefined, 'app.use() argument 2')).toThrow(
      new TypeError('app.use() argument 2 must be a middleware function (ctx, next), got undefined'),
    );
  });
});

describe('security: descriptions never leak secrets', () => {
  it('redacts secrets nested under arrays and inside case variants', () => {
    const out = JSON.stringify(redact({ stores: [{ url: 'redis://h', PASSWORD: 'pw1' }], JWT_SECRET: 'pw2', Authorization: 'pw3' }));
    expect(out).not.toMatch(/pw1|pw2|pw3/);
  });

  it('does not call getters or toJSON of a hostile class instance', () => {
    let touched = 0;
    class Hostile {
      get secretish(): string {
        touched++;
        return 'x';
      }
      toJSON(): unknown {
        touched++;
        return { leaked: true };
      }
    }
    expect(redact({ h: new Hostile() })).toEqual({ h: '[Hostile]' });
    expect(touched).toBe(0);
  });

  it('survives a very deep object without throwing', () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 1000; i++) {
      const next = {};
      deep.n = next;
      deep = next;
    }
    expect(() => redact(root)).not.toThrow();
  });
});
