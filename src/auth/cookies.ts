/**
 * Cookies for the refresh token (OWASP Session Management; RFC 6265bis):
 * `HttpOnly` (no script reads it), `Secure`, `SameSite=Strict` and no
 * `Domain` by default, named with the `__Host-` prefix when its path is
 * `/` (the browser then refuses it without Secure, with a Domain or on
 * another path) and `__Secure-` when it is scoped to a path such as
 * `/api/auth`. And a strict reader for the `Cookie` field that never throws.
 */
import { describeValue } from '@ward/core';

/** Options of {@link refreshTokenCookie} and {@link clearRefreshTokenCookie}. */
export interface RefreshCookieOptions {
  /** The cookie name. Default: `__Host-refresh_token` with path `/`, else `__Secure-refresh_token`. */
  name?: string;
  /** The path the browser sends it to. Default: `'/'`. */
  path?: string;
  /** Default: `'Strict'`. `'None'` requires `secure` (and is refused without it). */
  sameSite?: 'Strict' | 'Lax' | 'None';
  /** Default: `true`. `false` only for plain-http development; `__Host-`/`__Secure-` names need it. */
  secure?: boolean;
}

const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PATH = /^\/[\x21-\x3a\x3c-\x7e]*$/;
const VALUE = /^[A-Za-z0-9._~-]*$/;

function attributes(options: RefreshCookieOptions, where: string): { name: string; tail: string } {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where}: options must be an object, got ${describeValue(options)}`);
  const path = options.path ?? '/';
  if (typeof path !== 'string' || !PATH.test(path)) throw new TypeError(`${where}.path must be an absolute path without ';' or spaces, got ${describeValue(path)}`);
  const secure = options.secure ?? true;
  const sameSite = options.sameSite ?? 'Strict';
  if (sameSite !== 'Strict' && sameSite !== 'Lax' && sameSite !== 'None') throw new RangeError(`${where}.sameSite must be 'Strict', 'Lax' or 'None', got ${describeValue(sameSite)}`);
  if (sameSite === 'None' && !secure) throw new RangeError(`${where}: SameSite=None requires Secure (RFC 6265bis)`);
  const name = options.name ?? (secure ? (path === '/' ? '__Host-refresh_token' : '__Secure-refresh_token') : 'refresh_token');
  if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError(`${where}.name must be a cookie name, got ${describeValue(name)}`);
  // Browsers match the prefixes in any case (RFC 6265bis §5.7): `__HOST-` is held to the same rules.
  const lower = name.toLowerCase();
  if (lower.startsWith('__host-') && (path !== '/' || !secure)) throw new RangeError(`${where}: a __Host- cookie needs path '/' and Secure (RFC 6265bis); use a __Secure- name for path ${path}`);
  if (lower.startsWith('__secure-') && !secure) throw new RangeError(`${where}: a __Secure- cookie needs Secure`);
  return { name, tail: `; Path=${path}; HttpOnly${secure ? '; Secure' : ''}; SameSite=${sameSite}` };
}

/**
 * The `Set-Cookie` value that hands a refresh token to the browser, living
 * until `expiresAt` (ms since the epoch; `Max-Age` from `now`).
 *
 * @example
 * ctx.res.appendHeader('set-cookie', refreshTokenCookie(pair.refreshToken, pair.refreshTokenExpiresAt));
 */
export function refreshTokenCookie(token: string, expiresAt: number, options: RefreshCookieOptions = {}, now: number = Date.now()): string {
  const { name, tail } = attributes(options, 'refreshTokenCookie(options)');
  if (typeof token !== 'string' || !VALUE.test(token)) throw new TypeError('refreshTokenCookie(token): a refresh token is base64url text');
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) throw new TypeError(`refreshTokenCookie(token, expiresAt): expiresAt must be ms since the epoch (the pair's refreshTokenExpiresAt), got ${String(expiresAt)}`);
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  return `${name}=${token}; Max-Age=${maxAge}${tail}`;
}

/** The `Set-Cookie` value that removes the refresh cookie (same name and path, empty, `Max-Age=0`). */
export function clearRefreshTokenCookie(options: RefreshCookieOptions = {}): string {
  const { name, tail } = attributes(options, 'clearRefreshTokenCookie(options)');
  return `${name}=; Max-Age=0${tail}`;
}

/** The cookie name {@link refreshTokenCookie} uses with these options. */
export function refreshCookieName(options: RefreshCookieOptions = {}): string {
  return attributes(options, 'refreshCookieName(options)').name;
}

/** Longest Cookie field scanned, in characters: past it the field is ignored (bounded work on hostile input). */
const MAX_COOKIE_HEADER = 16_384;

/**
 * The value of cookie `name` in a `Cookie` field, or undefined. Exact,
 * case-sensitive name match (RFC 6265bis §5.7.4); the first occurrence
 * wins; surrounding double quotes are removed; never throws.
 */
export function readCookie(header: string, name: string): string | undefined {
  if (typeof header !== 'string' || header.length > MAX_COOKIE_HEADER) return undefined;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      let value = header.slice(eq + 1, end).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value;
    }
    start = end + 1;
  }
  return undefined;
}
