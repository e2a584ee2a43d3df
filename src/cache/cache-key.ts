/**
 * Cache keys. A response is stored under what identifies the resource — the
 * host, the path and a normalised query (the method is not part of it: HEAD
 * is answered from GET's entry) — plus, per variant, the request headers
 * the response's `Vary` names. Anything else a request carries is unkeyed
 * and so cannot change what is served (no cache poisoning through unkeyed
 * headers): only what the response says it varies on is keyed.
 */
import { describeValue } from '@ward/core';

/** How the query takes part in the key. */
export type QueryKeying =
  /** Parameters sorted by name then value, so `?b=2&a=1` and `?a=1&b=2` share an entry (the default). */
  | 'sorted'
  /** As sent, byte for byte. */
  | 'exact'
  /** Not at all: every query of a path shares one entry. */
  | 'ignore'
  /** Your own: only the parameters you return matter (`(params) => params.get('page') ?? ''`). */
  | ((params: URLSearchParams) => string);

/** What a key is built from. */
export interface KeyParts {
  readonly host: string;
  readonly path: string;
  /** The raw query, without `?`; `''` when none. */
  readonly query: string;
}

/** Builds the resource part of keys, validated once. */
export function resourceKey(query: QueryKeying | undefined, where: string): (parts: KeyParts) => string {
  const mode = query ?? 'sorted';
  if (typeof mode === 'function') return (parts) => `${parts.host.toLowerCase()}${parts.path}?${String(mode(new URLSearchParams(parts.query)))}`;
  if (mode === 'exact') return (parts) => `${parts.host.toLowerCase()}${parts.path}?${parts.query}`;
  if (mode === 'ignore') return (parts) => `${parts.host.toLowerCase()}${parts.path}`;
  if (mode !== 'sorted') throw new TypeError(`${where}.query must be 'sorted', 'exact', 'ignore' or a function, got ${describeValue(mode)}`);
  return (parts) => `${parts.host.toLowerCase()}${parts.path}?${sortedQuery(parts.query)}`;
}

/** `b=2&a=1&a=0` → `a=0&a=1&b=2`, each name and value in one canonical encoding. */
export function sortedQuery(query: string): string {
  if (query === '') return '';
  const pairs = [...new URLSearchParams(query)];
  pairs.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
  return new URLSearchParams(pairs).toString();
}

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

/** The variant part of a key: each varied header's value, whitespace-normalised (`accept-language=en-GB,en`). */
export function variantKey(names: readonly string[], header: (name: string) => string | undefined): string {
  let key = '';
  for (const name of names) key += `\n${name}=${(header(name) ?? '').trim().replace(/\s*,\s*/g, ',').replace(/\s+/g, ' ')}`;
  return key;
}
