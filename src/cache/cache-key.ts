/**
 * Cache keys. A response is stored under what identifies the resource — the
 * path and a normalised query, then the scheme and host (the method is not
 * part of it: only GET is stored, and HEAD is answered from GET's entry) —
 * plus, per variant, the request headers the response's `Vary` names.
 * Anything else a request carries is unkeyed and so cannot change what is
 * served (no cache poisoning through unkeyed headers).
 *
 * The path comes first so that one key prefix (`/api/v1/users`) reaches a
 * resource on every host, for every user and in every variant.
 */
import { describeValue } from '@ward/core';

/** How the query takes part in the key. */
export type QueryKeying =
  /**
   * Parameters sorted by name, so `?b=2&a=1` and `?a=1&b=2` share an entry
   * (the default). Repeated names keep their order (`?id=2&id=1` is a list
   * the handler may read in order, so it stays its own resource).
   */
  | 'sorted'
  /** As sent, byte for byte. */
  | 'exact'
  /** Not at all: every query of a path shares one entry. */
  | 'ignore'
  /** Your own: only what you return matters (`(params) => params.get('page') ?? ''`). */
  | ((params: URLSearchParams) => string);

/** What the resource part of a key is built from. */
export interface KeyParts {
  /** `http` or `https`: never one entry for both. */
  readonly scheme: string;
  readonly host: string;
  /** The raw path, undecoded (`/a%2Fb` and `/a/b` are different resources). */
  readonly path: string;
  /** The raw query, without `?`; `''` when none. */
  readonly query: string;
}

/** Normalises the query part of keys; validated once. */
export function queryKeying(query: QueryKeying | undefined, where: string): (query: string) => string {
  const mode = query ?? 'sorted';
  if (typeof mode === 'function') return (raw) => String(mode(new URLSearchParams(raw)));
  if (mode === 'exact') return (raw) => raw;
  if (mode === 'ignore') return () => '';
  if (mode !== 'sorted') throw new TypeError(`${where}.query must be 'sorted', 'exact', 'ignore' or a function, got ${describeValue(mode)}`);
  return sortedQuery;
}

/** `path?query|scheme://host`: the resource, before any user or variant part. */
export function resourceKey(parts: KeyParts, query: (raw: string) => string): string {
  return `${resourcePath(parts.path, query(parts.query))}|${parts.scheme}://${keyPart(parts.host.toLowerCase())}`;
}

/**
 * `path?query`: the key prefix shared by a resource's entries on every host,
 * for every user, in every variant. The path holds no `?`, and a `|` of the
 * query is written `%7C` (as the query's parsers read it), so the first `?`
 * and every `|` after it are the key's own separators.
 */
export function resourcePath(path: string, normalisedQuery: string): string {
  return `${path}?${normalisedQuery.indexOf('|') === -1 ? normalisedQuery : normalisedQuery.replaceAll('|', '%7C')}`;
}

/**
 * A value the client chose (the host, a keyed header) as one part of a key:
 * `%` and `|` percent-encoded, so it can never spell the separators of the
 * parts after it (`Host: a.test|user="alice"` is not alice's key).
 */
export function keyPart(value: string): string {
  return value.indexOf('|') === -1 && value.indexOf('%') === -1 ? value : value.replaceAll('%', '%25').replaceAll('|', '%7C');
}

/**
 * `b=2&a=1&a=0` → `a=1&a=0&b=2`: sorted by name (a stable sort: repeated
 * names keep their order), each pair in one canonical encoding — so only
 * queries every router reads alike share a key. A pair that is not valid
 * UTF-8 once decoded (`%FF`, `%ZZ`) is kept byte for byte, marked with a
 * `#` no canonical pair holds: URLSearchParams would turn `%FF` into
 * U+FFFD, the same as `%EF%BF%BD`, while Fastify's parser hands the
 * handler `'%FF'` itself, so the two are different resources there.
 */
export function sortedQuery(query: string): string {
  if (query === '') return '';
  const pairs: [name: string, pair: string][] = [];
  for (const raw of query.split('&')) {
    if (raw === '') continue;
    const eq = raw.indexOf('=');
    const rawName = eq === -1 ? raw : raw.slice(0, eq);
    const name = decodedPart(rawName);
    const value = eq === -1 ? '' : decodedPart(raw.slice(eq + 1));
    // Sorted by name either way, so a repeated name keeps its order.
    if (name === undefined || value === undefined) pairs.push([name ?? rawName, `#${encodeURIComponent(raw)}`]);
    else pairs.push([name, `${encodedPart(name)}=${encodedPart(value)}`]);
  }
  pairs.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  let key = '';
  for (let i = 0; i < pairs.length; i++) key += i === 0 ? pairs[i]![1] : `&${pairs[i]![1]}`;
  return key;
}

/** A name or value as form decoding reads it (`+` is a space); undefined when it is no valid UTF-8. */
function decodedPart(raw: string): string | undefined {
  if (raw.indexOf('%') === -1) return raw.indexOf('+') === -1 ? raw : raw.replaceAll('+', ' ');
  try {
    return decodeURIComponent(raw.indexOf('+') === -1 ? raw : raw.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

/** One canonical spelling of a decoded part: it never holds `&`, `=`, `#` or `|`. */
function encodedPart(value: string): string {
  return UNRESERVED.test(value) ? value : encodeURIComponent(value);
}

/** RFC 3986 unreserved characters only: a part spelled as it is. */
const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;

/** The request header names a `Vary` value lists, lower-case, sorted, deduplicated; `'*'` for `Vary: *`. */
export function varyNames(vary: string | undefined): readonly string[] | '*' {
  if (vary === undefined || vary.trim() === '') return [];
  const names = new Set<string>();
  for (const raw of vary.split(',')) {
    const name = raw.trim().toLowerCase();
    if (name === '*') return '*';
    if (name !== '') names.add(name);
  }
  return [...names].sort();
}

/**
 * The variant part of a key: each named header's value, whitespace-normalised
 * (`\naccept-language=en-GB,en`); an absent header is `\nname` alone, so it
 * never matches a present one, even an empty one (RFC 9111 §4.1).
 */
export function variantKey(names: readonly string[], header: (name: string) => string | undefined): string {
  let key = '';
  for (const name of names) {
    const value = header(name);
    key += value === undefined ? `\n${name}` : `\n${name}=${value.trim().replace(/\s*,\s*/g, ',').replace(/\s+/g, ' ')}`;
  }
  return key;
}
