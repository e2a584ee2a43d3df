/**
 * The refresh-token cookie (OWASP Session Management, RFC 6265bis) and the
 * Cookie reader, on hostile input too.
 */
import { clearRefreshTokenCookie, readCookie, refreshCookieName, refreshTokenCookie } from '@ward/auth';
import { describe, expect, it } from 'vitest';

const TOKEN = `${'A'.repeat(22)}.${'b'.repeat(43)}`;

describe('refreshTokenCookie', () => {
  it('defaults: __Host- name, Path=/, HttpOnly, Secure, SameSite=Strict, Max-Age of the remaining life, no Domain', () => {
    expect(refreshTokenCookie(TOKEN, 1_000_000 + 3_600_500, {}, 1_000_000)).toBe(`__Host-refresh_token=${TOKEN}; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Strict`);
  });

  it('scoped to a path: the __Secure- prefix (a __Host- cookie must have Path=/)', () => {
    expect(refreshTokenCookie(TOKEN, 61_000, { path: '/api/auth' }, 1_000)).toBe(`__Secure-refresh_token=${TOKEN}; Max-Age=60; Path=/api/auth; HttpOnly; Secure; SameSite=Strict`);
    expect(() => refreshTokenCookie(TOKEN, 0, { name: '__Host-rt', path: '/api' })).toThrow(/__Host- cookie needs path/);
    // Browsers read the prefixes in any case: so does the check.
    expect(() => refreshTokenCookie(TOKEN, 0, { name: '__HOST-rt', path: '/api' })).toThrow(/__Host- cookie needs path/);
    expect(() => refreshTokenCookie(TOKEN, 0, { name: '__host-rt', secure: false })).toThrow(/__Host- cookie needs path '\/' and Secure/);
    expect(() => refreshTokenCookie(TOKEN, 0, { name: '__SECURE-rt', secure: false })).toThrow(/__Secure- cookie needs Secure/);
    // No expiry given: a TypeError, never Max-Age=NaN (a session cookie with no bound).
    expect(() => refreshTokenCookie(TOKEN, undefined as unknown as number)).toThrow(/expiresAt must be ms since the epoch/);
  });

  it('never SameSite=None without Secure; prefixed names need Secure', () => {
    expect(() => refreshTokenCookie(TOKEN, 0, { sameSite: 'None', secure: false })).toThrow(/SameSite=None requires Secure/);
    expect(() => refreshTokenCookie(TOKEN, 0, { name: '__Secure-x', secure: false })).toThrow(/needs Secure/);
    expect(refreshTokenCookie(TOKEN, 0, { secure: false }, 0)).toBe(`refresh_token=${TOKEN}; Max-Age=0; Path=/; HttpOnly; SameSite=Strict`);
  });

  it('refuses a value or path that would inject attributes', () => {
    expect(() => refreshTokenCookie('a; Domain=evil.example', 0)).toThrow(/base64url/);
    expect(() => refreshTokenCookie(TOKEN, 0, { path: '/; Domain=evil' })).toThrow(/path/);
  });

  it('clearRefreshTokenCookie: same name and path, empty value, Max-Age=0', () => {
    expect(clearRefreshTokenCookie()).toBe('__Host-refresh_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict');
    expect(clearRefreshTokenCookie({ path: '/api/auth' })).toBe('__Secure-refresh_token=; Max-Age=0; Path=/api/auth; HttpOnly; Secure; SameSite=Strict');
    expect(refreshCookieName({ path: '/api/auth' })).toBe('__Secure-refresh_token');
  });
});

describe('readCookie', () => {
  it('finds a cookie by its exact name; the first wins; quotes removed', () => {
    expect(readCookie('a=1; __Host-refresh_token=xyz; b=2', '__Host-refresh_token')).toBe('xyz');
    expect(readCookie('rt=1; rt=2', 'rt')).toBe('1');
    expect(readCookie('rt="quoted"', 'rt')).toBe('quoted');
    expect(readCookie('RT=1', 'rt')).toBeUndefined();
    expect(readCookie('xrt=1; rt2=2', 'rt')).toBeUndefined();
  });

  it.each(['', ';;;;', '=', 'rt', '==rt==', ';rt', 'rt=;', '\u0000rt=1', 'é=ü; rt=ok'])('never throws on %j', (header) => {
    expect(() => readCookie(header, 'rt')).not.toThrow();
  });

  it('ignores a Cookie field over 16 KiB (bounded work)', () => {
    expect(readCookie(`${'x=1; '.repeat(4000)}rt=found`, 'rt')).toBeUndefined();
  });
});
