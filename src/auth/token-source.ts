/**
 * Where the access token is read from: the `Authorization: Bearer` field
 * (RFC 6750 §2.1; the scheme compared case-insensitively, RFC 9110 §11.1)
 * and/or a named cookie. Never the query string (§2.3: URLs end up in
 * logs). A request may carry one token in one place: two `Authorization`
 * fields, two tokens in one field, or a header and a cookie at once are
 * malformed credentials, refused rather than guessed at (§2: "MUST NOT use
 * more than one method").
 */
import type { Context } from '@ward/core';
import { describeValue } from '@ward/core';
import { readCookie } from './cookies.js';

/** Where tokens are looked for. */
export interface TokenSourceOptions {
  /** Read `Authorization: Bearer <token>`. Default: `true`. */
  header?: boolean;
  /** Read the token from this cookie too (e.g. `'__Host-access_token'`). Default: none. */
  cookie?: string;
}

/** What a request carries. */
export type TokenFound = { readonly kind: 'none' } | { readonly kind: 'malformed' } | { readonly kind: 'token'; readonly token: string };

export const NONE: TokenFound = Object.freeze({ kind: 'none' });
export const MALFORMED: TokenFound = Object.freeze({ kind: 'malformed' });

/** The RFC 7235 token68 of the Bearer scheme (RFC 6750 §2.1 b64token). */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** One character of an RFC 9110 token (a scheme name goes on while these follow). */
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;
/** A cookie name: an RFC 9110 token. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Builds the reader of one configuration. */
export function tokenSource(options: TokenSourceOptions | undefined, where: string): (ctx: Context) => TokenFound {
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new TypeError(`${where}.from must be an object such as { header: true, cookie: '__Host-access_token' }, got ${describeValue(options)}`);
  const header = options?.header ?? true;
  if (typeof header !== 'boolean') throw new TypeError(`${where}.from.header must be a boolean, got ${describeValue(header)}`);
  const cookie = options?.cookie;
  if (cookie !== undefined && (typeof cookie !== 'string' || !COOKIE_NAME.test(cookie))) throw new TypeError(`${where}.from.cookie must be a cookie name, got ${describeValue(cookie)}`);
  if (!header && cookie === undefined) throw new RangeError(`${where}.from: with header: false, name a cookie to read the token from`);

  if (cookie === undefined) return fromHeader;
  return function fromHeaderOrCookie(ctx: Context): TokenFound {
    const byHeader = header ? fromHeader(ctx) : NONE;
    if (byHeader.kind === 'malformed') return byHeader;
    const cookies = ctx.req.header('cookie');
    const value = cookies === undefined ? undefined : readCookie(cookies, cookie);
    if (value === undefined || value === '') return byHeader;
    if (byHeader.kind === 'token') return MALFORMED;
    return B64TOKEN.test(value) ? { kind: 'token', token: value } : MALFORMED;
  };
}

/** `Authorization: Bearer <token>`: exactly one field, one scheme, one space, one token. */
function fromHeader(ctx: Context): TokenFound {
  const value = ctx.req.header('authorization');
  if (value === undefined) return NONE;
  // Node keeps only the first of repeated Authorization fields; a proxy
  // might keep the last. Two fields are refused, not picked from.
  if (repeated(ctx.raw.req.rawHeaders)) return MALFORMED;
  // Another scheme (Basic, DPoP, Bearerish…) is not ours: no bearer token here.
  if (value.length < 6 || value.slice(0, 6).toLowerCase() !== 'bearer' || (value.length > 6 && TCHAR.test(value[6]!))) return NONE;
  // Ours: exactly one space, then the token. A tab, a comma, two spaces or
  // nothing is a malformed bearer credential, never "no credential".
  if (value.charCodeAt(6) !== 0x20) return MALFORMED;
  const token = value.slice(7);
  return B64TOKEN.test(token) ? { kind: 'token', token } : MALFORMED;
}

function repeated(raw: readonly string[]): boolean {
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization' && ++seen > 1) return true;
  }
  return false;
}
