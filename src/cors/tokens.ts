/**
 * Method and header-name lists: validated as RFC 9110 tokens when configured
 * (§5.6.2), and the request's `Access-Control-Request-Headers` checked as a
 * comma-separated list of tokens (§5.6.1) before it is reflected or compared.
 */
import { describeValue } from '@ward/core';

/** RFC 9110 §5.6.2 `token = 1*tchar`. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A request's `Access-Control-Request-Headers`: tokens separated by commas
 * with optional spaces or tabs. Linear: a token holds no comma or space, so
 * there is one way to match. Empty elements, quotes and control characters
 * do not match.
 */
/** RFC 9110 §5.6.1: a recipient accepts empty list elements (`a, , b`, a trailing comma); at least one name. */
const TOKEN_LIST = /^[ \t,]*[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*,[ \t,]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*[ \t,]*$/;

/**
 * Longest `Access-Control-Request-Headers` looked at. Browsers list only the
 * non-safelisted names a script set, lower-cased; 2 KiB is dozens of names.
 */
export const MAX_REQUEST_HEADERS_LENGTH = 2048;

/**
 * Fetch §2.2.1 "method normalize": browsers upper-case these six and send
 * every other method exactly as the script wrote it (`patch` stays `patch`).
 */
const NORMALIZED_METHODS: ReadonlySet<string> = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

/** Fetch §2.2.1 CORS-safelisted methods: browsers never check them against `Access-Control-Allow-Methods`. */
export const SAFELISTED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST']);

/** True when `value` is one RFC 9110 token (a method, a header name). */
export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/**
 * True when `value` is a list of header names a preflight may carry: not
 * longer than {@link MAX_REQUEST_HEADERS_LENGTH}, tokens separated by commas.
 */
export function isHeaderNameList(value: string): boolean {
  return value.length <= MAX_REQUEST_HEADERS_LENGTH && TOKEN_LIST.test(value);
}

/** The lower-cased names of a list that passed {@link isHeaderNameList}, without its empty elements. */
export function headerNames(value: string): string[] {
  const names: string[] = [];
  for (const raw of value.split(',')) {
    const name = raw.trim();
    if (name !== '') names.push(name.toLowerCase());
  }
  return names;
}

/** A list that passed {@link isHeaderNameList} as it may be echoed: its empty elements out (Fetch refuses an empty name). */
export function withoutEmptyElements(value: string): string {
  return EMPTY_ELEMENT.test(value) ? headerNames(value).join(', ') : value;
}

/** A leading, trailing or doubled comma. */
const EMPTY_ELEMENT = /^[ \t]*,|,[ \t]*,|,[ \t]*$/;

/**
 * Validates a configured list of tokens, dropping duplicates. (`'*'` is a
 * token; the options decide where a wildcard is allowed.)
 *
 * @param where the option's name in error messages, e.g. `cors({ methods })`.
 */
export function tokenList(input: unknown, where: string, example: string): string[] {
  if (!Array.isArray(input)) {
    throw new TypeError(`${where} must be an array of names such as ${example}, got ${describeValue(input)}`);
  }
  const out: string[] = [];
  for (const item of input as unknown[]) {
    if (typeof item !== 'string') throw new TypeError(`${where} must hold strings, got ${describeValue(item)}`);
    if (!isToken(item)) {
      throw new RangeError(`${where}: ${JSON.stringify(item)} is not a valid name (RFC 9110 token: letters, digits and !#$%&'*+.^_\`|~-)`);
    }
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

/** Configured methods: the six Fetch normalises are upper-cased; others are kept as written, since browsers compare them case-sensitively. */
export function normalizeMethod(method: string): string {
  const upper = method.toUpperCase();
  return NORMALIZED_METHODS.has(upper) ? upper : method;
}

