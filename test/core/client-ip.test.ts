/**
 * clientResolver: who the client is and whether the request came over TLS.
 * X-Forwarded-* count only when the immediate peer is a trusted proxy.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientResolver, type TrustProxy } from '@ward/core';

/** The two things the resolver reads: the socket's address and the headers. */
function req(remoteAddress: string, headers: Record<string, string | string[]> = {}, encrypted = false): IncomingMessage {
  const socket = encrypted ? { remoteAddress, encrypted: true } : { remoteAddress };
  return { socket, connection: socket, headers } as unknown as IncomingMessage;
}

const XFF = { 'x-forwarded-for': '198.51.100.7, 203.0.113.2' };

describe('clientResolver: default (trust nobody)', () => {
  const resolver = clientResolver();

  it('uses the socket address and ignores X-Forwarded-For', () => {
    expect(resolver.ip(req('10.0.0.1', XFF))).toBe('10.0.0.1');
  });

  it('is the same as trustProxy: false', () => {
    expect(clientResolver(false).ip(req('127.0.0.1', XFF))).toBe('127.0.0.1');
  });

  it('ignores X-Forwarded-Proto', () => {
    expect(resolver.secure(req('127.0.0.1', { 'x-forwarded-proto': 'https' }))).toBe(false);
  });

  it('is secure over a TLS socket', () => {
    expect(resolver.secure(req('10.0.0.1', {}, true))).toBe(true);
  });

  it('gives an empty string for a socket without an address (already closed)', () => {
    expect(resolver.ip(req(undefined as unknown as string))).toBe('');
  });
});

describe('clientResolver: hop count', () => {
  it('1 trusts the socket peer only: the last X-Forwarded-For entry is the client', () => {
    expect(clientResolver(1).ip(req('10.0.0.1', XFF))).toBe('203.0.113.2');
  });

  it('2 trusts one more hop', () => {
    expect(clientResolver(2).ip(req('10.0.0.1', XFF))).toBe('198.51.100.7');
  });

  it('more hops than entries stops at the first address', () => {
    expect(clientResolver(10).ip(req('10.0.0.1', XFF))).toBe('198.51.100.7');
  });

  it('0 trusts nobody', () => {
    expect(clientResolver(0).ip(req('10.0.0.1', XFF))).toBe('10.0.0.1');
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s with a RangeError', (hops) => {
    expect(() => clientResolver(hops)).toThrow(new RangeError(`trustProxy as a hop count must be a non-negative integer, got ${hops}`));
  });
});

describe('clientResolver: addresses and CIDRs', () => {
  it('trusts a listed CIDR and takes the first untrusted address from the right', () => {
    const resolver = clientResolver(['10.0.0.0/8']);
    expect(resolver.ip(req('10.1.2.3', { 'x-forwarded-for': '203.0.113.5, 10.9.9.9' }))).toBe('203.0.113.5');
  });

  it('ignores the header when the peer is not in the list', () => {
    expect(clientResolver(['10.0.0.0/8']).ip(req('192.168.1.1', XFF))).toBe('192.168.1.1');
  });

  it('accepts a comma-separated string with names', () => {
    const resolver = clientResolver('loopback, 10.0.0.0/8');
    expect(resolver.ip(req('127.0.0.1', { 'x-forwarded-for': '203.0.113.5' }))).toBe('203.0.113.5');
    expect(resolver.ip(req('10.0.0.9', { 'x-forwarded-for': '203.0.113.6' }))).toBe('203.0.113.6');
  });

  it('drops a port a proxy wrote beside an address (IP:port, [IPv6]:port), for the trust check and in the answer', () => {
    const resolver = clientResolver(['10.0.0.0/8']);
    expect(resolver.ip(req('10.1.2.3', { 'x-forwarded-for': '203.0.113.5:51234' }))).toBe('203.0.113.5');
    expect(resolver.ip(req('10.1.2.3', { 'x-forwarded-for': '[2001:db8::1]:443' }))).toBe('2001:db8::1');
    expect(resolver.ip(req('10.1.2.3', { 'x-forwarded-for': '[2001:db8::1]' }))).toBe('2001:db8::1');
    // A trusted hop written with its port is still a trusted hop: the client is the one before it.
    expect(resolver.ip(req('10.1.2.3', { 'x-forwarded-for': '203.0.113.5:1, 10.9.9.9:8080' }))).toBe('203.0.113.5');
    // Not an address and a port: left as it is.
    expect(resolver.ip(req('10.1.2.3', { 'x-forwarded-for': '2001:db8::1:443' }))).toBe('2001:db8::1:443');
    expect(resolver.ip(req('10.1.2.3', { 'x-forwarded-for': 'host:80' }))).toBe('host:80');
  });

  it('refuses an address it cannot parse with a TypeError naming trustProxy', () => {
    expect(() => clientResolver(['not-an-ip'])).toThrow(TypeError);
    expect(() => clientResolver(['not-an-ip'])).toThrow(/^trustProxy: .*expected addresses, CIDRs, or loopback\/linklocal\/uniquelocal/);
  });
});

describe('clientResolver: function', () => {
  it('asks the function about each hop, from the socket outwards', () => {
    const asked: [string, number][] = [];
    const resolver = clientResolver((address, hop) => {
      asked.push([address, hop]);
      return address === '10.0.0.1';
    });
    expect(resolver.ip(req('10.0.0.1', XFF))).toBe('203.0.113.2');
    expect(asked).toEqual([
      ['10.0.0.1', 0],
      ['203.0.113.2', 1],
    ]);
  });
});

describe('clientResolver: refused settings', () => {
  it('refuses true, naming the fix', () => {
    expect(() => clientResolver(true as unknown as TrustProxy)).toThrow(TypeError);
    expect(() => clientResolver(true as unknown as TrustProxy)).toThrow(
      'trustProxy must be false, a hop count, addresses/CIDRs or a function, got true. There is no `true`: name the proxies you trust, or pass () => true knowingly.',
    );
  });

  it.each([{}, null])('refuses %j', (value) => {
    expect(() => clientResolver(value as unknown as TrustProxy)).toThrow(TypeError);
  });
});

describe('clientResolver: X-Forwarded-Proto', () => {
  const resolver = clientResolver('loopback');

  it('counts from a trusted peer', () => {
    expect(resolver.secure(req('127.0.0.1', { 'x-forwarded-proto': 'https' }))).toBe(true);
  });

  it('uses the first value of a list, case-insensitively', () => {
    expect(resolver.secure(req('127.0.0.1', { 'x-forwarded-proto': 'HTTPS, http' }))).toBe(true);
    expect(resolver.secure(req('127.0.0.1', { 'x-forwarded-proto': 'http, https' }))).toBe(false);
  });

  it('is false without the header', () => {
    expect(resolver.secure(req('127.0.0.1'))).toBe(false);
  });
});

describe('security: forged forwarding headers', () => {
  it('X-Forwarded-Proto from an untrusted peer never makes a request secure', () => {
    expect(clientResolver('loopback').secure(req('203.0.113.9', { 'x-forwarded-proto': 'https' }))).toBe(false);
  });

  it('a client cannot prepend its way past a trusted proxy', () => {
    // The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the real address.
    expect(clientResolver(1).ip(req('10.0.0.1', { 'x-forwarded-for': '1.2.3.4, 198.51.100.7' }))).toBe('198.51.100.7');
  });

  it('garbage in X-Forwarded-For from a trusted proxy does not crash the resolver', () => {
    const resolver = clientResolver(['127.0.0.1']);
    expect(() => resolver.ip(req('127.0.0.1', { 'x-forwarded-for': 'garbage, , ::ffff:zz, 999.1.1.1' }))).not.toThrow();
  });

  it('Forwarded and X-Real-IP are never read', () => {
    expect(clientResolver(1).ip(req('10.0.0.1', { forwarded: 'for=8.8.8.8', 'x-real-ip': '9.9.9.9' }))).toBe('10.0.0.1');
  });
});
