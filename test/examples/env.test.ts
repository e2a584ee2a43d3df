/**
 * The environment the example servers read (examples/server/env.js).
 */
import { describe, it, expect } from 'vitest';
import { describeStore, readEnv, redactUrl } from '../../examples/server/env.js';

describe('readEnv', () => {
  it('defaults: the given port, loopback only, the memory store', () => {
    expect(readEnv({}, 3000)).toEqual({ port: 3000, host: '127.0.0.1', store: { kind: 'memory' } });
    expect(readEnv({ PORT: '', HOST: ' ', REDIS_URL: '' }, 3001)).toEqual({ port: 3001, host: '127.0.0.1', store: { kind: 'memory' } });
  });

  it('reads PORT, HOST and REDIS_URL', () => {
    expect(readEnv({ PORT: '8080', HOST: '0.0.0.0', REDIS_URL: 'redis://cache:6379' }, 3000)).toEqual({
      port: 8080,
      host: '0.0.0.0',
      store: { kind: 'redis', url: 'redis://cache:6379' },
    });
    expect(readEnv({ PORT: '0' }, 3000).port).toBe(0);
  });

  it('says which store is active', () => {
    expect(describeStore({ kind: 'memory' })).toBe('store: in memory (set REDIS_URL to use Redis once a Redis store exists)');
    expect(describeStore({ kind: 'redis', url: 'rediss://u:pw@h:6380' })).toBe(
      'store: REDIS_URL is set (rediss://u:***@h:6380): a Redis store would be used here; none exists yet, so users stay in memory',
    );
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

    it('redactUrl hides passwords and never echoes what it cannot parse', () => {
      expect(redactUrl('redis://:pw@h')).toBe('redis://:***@h');
      expect(redactUrl('not a url with secret')).toBe('[unparseable URL]');
    });
  });
});
