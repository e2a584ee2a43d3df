/**
 * The environment the example servers read (examples/server/env.js).
 */
import { describe, it, expect } from 'vitest';
import { DEFAULT_CORS_ORIGINS, DEFAULT_REQUEST_TIMEOUT_MS, describeEdge, describeStore, readEnv, redactUrl } from '../../examples/server/env.js';

describe('readEnv', () => {
  const edgeDefaults = { corsOrigins: ['http://localhost:5173'], timeoutMs: 10_000 };

  it('defaults: the given port, loopback only, the memory store, localhost:5173 for CORS, 10 s per request', () => {
    expect(readEnv({}, 3000)).toEqual({ port: 3000, host: '127.0.0.1', store: { kind: 'memory' }, ...edgeDefaults });
    expect(readEnv({ PORT: '', HOST: ' ', REDIS_URL: '', CORS_ORIGINS: ' ', REQUEST_TIMEOUT_MS: '' }, 3001)).toEqual({
      port: 3001,
      host: '127.0.0.1',
      store: { kind: 'memory' },
      ...edgeDefaults,
    });
    expect(DEFAULT_CORS_ORIGINS).toEqual(edgeDefaults.corsOrigins);
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(edgeDefaults.timeoutMs);
  });

  it('reads PORT, HOST and REDIS_URL; REDIS_URL changes the store only', () => {
    expect(readEnv({ PORT: '8080', HOST: '0.0.0.0', REDIS_URL: 'redis://cache:6379' }, 3000)).toEqual({
      port: 8080,
      host: '0.0.0.0',
      store: { kind: 'redis', url: 'redis://cache:6379' },
      ...edgeDefaults,
    });
    expect(readEnv({ PORT: '0' }, 3000).port).toBe(0);
  });

  it('reads CORS_ORIGINS: comma-separated, trimmed, normalised as browsers send them, duplicates dropped', () => {
    expect(readEnv({ CORS_ORIGINS: 'https://app.example.com' }, 3000).corsOrigins).toEqual(['https://app.example.com']);
    expect(readEnv({ CORS_ORIGINS: ' HTTPS://App.Example.com:443 , http://localhost:5173,https://app.example.com' }, 3000).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    expect(readEnv({ CORS_ORIGINS: '*' }, 3000).corsOrigins).toEqual(['*']);
  });

  it('reads REQUEST_TIMEOUT_MS as whole milliseconds', () => {
    expect(readEnv({ REQUEST_TIMEOUT_MS: '2500' }, 3000).timeoutMs).toBe(2500);
    expect(readEnv({ REQUEST_TIMEOUT_MS: ' 1 ' }, 3000).timeoutMs).toBe(1);
    expect(readEnv({ REQUEST_TIMEOUT_MS: '2147483647' }, 3000).timeoutMs).toBe(2147483647);
  });

  it('says how the edge is set up', () => {
    expect(describeEdge(edgeDefaults)).toBe('cors: http://localhost:5173 (CORS_ORIGINS) · timeout: 10000 ms per request (REQUEST_TIMEOUT_MS)');
    expect(describeEdge({ corsOrigins: ['*'], timeoutMs: 5 })).toBe('cors: any origin (*) (CORS_ORIGINS) · timeout: 5 ms per request (REQUEST_TIMEOUT_MS)');
  });

  it('says which store is active', () => {
    expect(describeStore({ kind: 'memory' })).toBe('store: rate limits, refresh tokens, revocations, cached responses and users in memory (set REDIS_URL to share them through Redis)');
    expect(describeStore({ kind: 'redis', url: 'rediss://u:pw@h:6380' })).toBe('store: rate limits, refresh tokens, revocations, cached responses and outbound breaker verdicts in Redis at rediss://u:***@h:6380 (rate limits fall back locally, the cache steps aside and breakers act alone if it fails); users in memory');
  });

  describe('security: hostile environment values', () => {
    it.each(['eighty', '-1', '65536', '3000.5', '0x50', '1e3', '99999999999999999999'])('PORT=%s is a RangeError naming PORT', (port) => {
      expect(() => readEnv({ PORT: port }, 3000)).toThrow(RangeError);
      expect(() => readEnv({ PORT: port }, 3000)).toThrow(`PORT must be a port number from 0 to 65535, got ${JSON.stringify(port)}`);
    });

    it('a REDIS_URL of another scheme is refused, and its password never appears in the message', () => {
      expect(() => readEnv({ REDIS_URL: 'http://u:hunter2@cache' }, 3000)).toThrow(
        'REDIS_URL must start with redis:// or rediss://, got "http://u:***@cache/"',
      );
    });

    it.each([
      ['https://app.example.com/', 'remove the trailing slash'],
      ['https://app.example.com/path', 'an origin has no path'],
      ['app.example.com', 'expected scheme://host[:port]'],
      ['https://user:pw@app.example.com', 'remove the user info'],
      ['null', 'is not an origin'],
      ['https://a.example,,https://b.example', 'an empty entry'],
      ['https://a.example,', 'an empty entry'],
      ['*,https://a.example', "'*' must be alone"],
    ])('CORS_ORIGINS=%s is a RangeError naming CORS_ORIGINS (%s)', (value, message) => {
      expect(() => readEnv({ CORS_ORIGINS: value }, 3000)).toThrow(RangeError);
      expect(() => readEnv({ CORS_ORIGINS: value }, 3000)).toThrow(/^CORS_ORIGINS/);
      expect(() => readEnv({ CORS_ORIGINS: value }, 3000)).toThrow(message);
    });

    it.each(['0', '-1', '1.5', '1e4', 'ten', '2147483648', '99999999999'])('REQUEST_TIMEOUT_MS=%s is a RangeError naming it', (value) => {
      expect(() => readEnv({ REQUEST_TIMEOUT_MS: value }, 3000)).toThrow(RangeError);
      expect(() => readEnv({ REQUEST_TIMEOUT_MS: value }, 3000)).toThrow(
        `REQUEST_TIMEOUT_MS must be whole milliseconds from 1 to 2147483647, got ${JSON.stringify(value)}. Unset it to use 10000.`,
      );
    });

    it('redactUrl hides passwords and never echoes what it cannot parse', () => {
      expect(redactUrl('redis://:pw@h')).toBe('redis://:***@h');
      expect(redactUrl('not a url with secret')).toBe('[unparseable URL]');
    });
  });
});

describe('readEnv: auth variables', () => {
  it('JWT_SECRET: at least 32 bytes, else a message saying how to make one', () => {
    expect(readEnv({ JWT_SECRET: 'x'.repeat(32) }, 3000).jwtSecret).toBe('x'.repeat(32));
    expect(readEnv({ JWT_SECRET: ' ' }, 3000).jwtSecret).toBeUndefined();
    expect(() => readEnv({ JWT_SECRET: 'short' }, 3000)).toThrow('JWT_SECRET must be at least 32 bytes (got 5); make one with: openssl rand -base64 48');
  });

  it('ADMIN_EMAIL and ADMIN_PASSWORD: both or neither; a password of 12 to 128 characters', () => {
    expect(readEnv({ ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'long enough pass' }, 3000).admin).toEqual({ email: 'root@example.com', password: 'long enough pass' });
    expect(readEnv({}, 3000).admin).toBeUndefined();
    expect(() => readEnv({ ADMIN_EMAIL: 'root@example.com' }, 3000)).toThrow(/go together/);
    expect(() => readEnv({ ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'short' }, 3000)).toThrow('ADMIN_PASSWORD must be 12 to 128 characters, got 5');
  });
});
