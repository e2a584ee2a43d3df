/**
 * What is never logged, and how opt-in headers, query strings and route
 * parameters are reduced to safe values (OWASP Logging Cheat Sheet, "Data to
 * exclude": session identifiers, access tokens, passwords, keys; OWASP REST
 * Cheat Sheet: tokens in URLs end up in logs).
 *
 * Everything here is compiled once, at factory time.
 */
import { REDACTED as CORE_REDACTED, SENSITIVE_HEADERS, describeValue } from '@ward/core';
import { safeText } from './sanitize.js';

/**
 * What a redacted value is replaced by (the same marker core's
 * `describeMiddleware` uses).
 *
 * @example
 * record.headers?.authorization === REDACTED; // when the header was sent and listed
 */
export const REDACTED: typeof CORE_REDACTED = CORE_REDACTED;

/**
 * Headers whose values are never logged, even when listed in `headers`:
 * they are logged as `[redacted]` (so the reader knows the header was sent).
 * `redactHeaders` adds to this list; nothing removes from it.
 *
 * @example
 * ALWAYS_REDACTED_HEADERS.includes('cookie'); // true
 */
export const ALWAYS_REDACTED_HEADERS: readonly string[] = SENSITIVE_HEADERS;

/**
 * Query keys and route parameter names whose values are always redacted:
 * anything that names a token, password, secret, key, credential,
 * signature, session or auth value (`access_token`, `refresh_token`,
 * `password`, `client_secret`, `api_key`, `X-Amz-Signature`, `sessionid`,
 * `oauth_verifier` …), and the short names `code`, `key`, `sig`, `jwt`,
 * `pwd`, `otp`, `pin`. Matched case-insensitively. `redactQuery` and
 * `redactParams` add exact names.
 *
 * @example
 * SECRET_NAME.test('X-Amz-Signature'); // true
 * SECRET_NAME.test('x-goog-api-key');  // true
 * SECRET_NAME.test('page');            // false
 */
export const SECRET_NAME = /token|passw|secret|(?:api|access|private|subscription)[-_]?key|credential|signature|session|auth|^(?:code|key|sig|jwt|pwd|otp|pin)$/i;

/** RFC 9110 §5.6.2 token: a valid header name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** One header to log, compiled. */
export interface HeaderSpec {
  /** Lower-case name; also the key in the record. */
  readonly name: string;
  readonly redacted: boolean;
}

/**
 * Validates a list of header names (`headers`, `responseHeaders`,
 * `redactHeaders`): an array of RFC 9110 tokens, returned lower-cased and
 * without duplicates.
 */
export function headerNames(input: unknown, where: string): readonly string[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) throw new TypeError(`${where} must be an array of header names such as ['x-tenant'], got ${describeValue(input)}`);
  const names = new Set<string>();
  for (const name of input as unknown[]) {
    if (typeof name !== 'string') throw new TypeError(`${where} must hold header names (strings), got ${describeValue(name)}`);
    if (!TOKEN.test(name)) throw new RangeError(`${where}: ${JSON.stringify(name)} is not a valid header name (RFC 9110 token characters only)`);
    names.add(name.toLowerCase());
  }
  return [...names];
}

/** The headers to log, each marked redacted or not. */
export function headerSpecs(names: readonly string[], redact: ReadonlySet<string>): readonly HeaderSpec[] {
  return Object.freeze(names.map((name) => Object.freeze({ name, redacted: redact.has(name) })));
}

/** The full set of redacted header names: the fixed list plus `redactHeaders`. */
export function redactedHeaderSet(extra: readonly string[]): ReadonlySet<string> {
  return new Set([...ALWAYS_REDACTED_HEADERS, ...extra]);
}

/**
 * Validates a list of query keys or parameter names (`redactQuery`,
 * `redactParams`): non-empty strings, returned lower-cased.
 */
export function nameSet(input: unknown, where: string): ReadonlySet<string> {
  if (input === undefined) return new Set();
  if (!Array.isArray(input)) throw new TypeError(`${where} must be an array of names such as ['email'], got ${describeValue(input)}`);
  const names = new Set<string>();
  for (const name of input as unknown[]) {
    if (typeof name !== 'string' || name === '') throw new TypeError(`${where} must hold non-empty strings, got ${describeValue(name)}`);
    names.add(name.toLowerCase());
  }
  return names;
}

/** True when the value under `name` must not be logged (`code[]`, `key[0]`: the brackets of array-style keys do not hide the name). */
export function isSecretName(name: string, extra: ReadonlySet<string>): boolean {
  if (name.endsWith(']')) name = name.replace(ARRAY_SUFFIX, '');
  return SECRET_NAME.test(name) || (extra.size > 0 && extra.has(name.toLowerCase()));
}

/** `[]`, `[0]`, `[a][b]` at the end of a query key (qs-style arrays and objects). */
const ARRAY_SUFFIX = /(?:\[[^\]]*\])+$/;

/** Most query pairs written; the rest is summarised as `&…`. */
const MAX_QUERY_PAIRS = 32;

/**
 * The query string as logged: pairs re-encoded with `encodeURIComponent`
 * (so nothing in it can be a control character), secret values replaced by
 * `[redacted]`, at most 32 pairs, the whole cut to `maxChars`. `null` when
 * the request had no query.
 *
 * @example
 * loggedQuery(new URLSearchParams('a=1&access_token=x'), new Set(), 1024); // 'a=1&access_token=[redacted]'
 */
export function loggedQuery(query: URLSearchParams, extra: ReadonlySet<string>, maxChars: number): string | null {
  let out = '';
  let count = 0;
  for (const [key, value] of query) {
    if (count === MAX_QUERY_PAIRS) {
      out += '&…';
      break;
    }
    if (count > 0) out += '&';
    out += `${encodeURIComponent(key)}=${isSecretName(key, extra) ? REDACTED : encodeURIComponent(value)}`;
    count += 1;
  }
  return count === 0 ? null : safeText(out, maxChars);
}

/** Most route parameters written in an audit record. */
const MAX_PARAMS = 32;

/**
 * Route parameters as logged: values made safe (decoded parameters can hold
 * CR/LF), secret names redacted, at most 32 entries.
 */
export function loggedParams(
  params: Readonly<Record<string, string>>,
  extra: ReadonlySet<string>,
  maxChars: number,
): Record<string, string> {
  // No prototype: a parameter named `__proto__` is a key like any other.
  const out = Object.create(null) as Record<string, string>;
  let count = 0;
  for (const key in params) {
    if (!Object.prototype.hasOwnProperty.call(params, key)) continue;
    if (count === MAX_PARAMS) break;
    const value = params[key];
    const safeKey = safeText(key, 128);
    out[safeKey] = isSecretName(key, extra) ? REDACTED : typeof value === 'string' ? safeText(value, maxChars) : String(value);
    count += 1;
  }
  return out;
}
