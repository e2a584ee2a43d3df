/**
 * What of a handler's answer goes into the store: the fields the downstream
 * produced (a field an outer middleware set before the cache — a request
 * id, a CORS header — is set again by that middleware on every hit, so
 * storing it would replay one request's value to others), minus hop-by-hop
 * fields (RFC 9111 §3.1), `Set-Cookie`, and what the cache computes itself
 * (`Age`, `Date`, `Content-Length`, its own status fields); and the entry's
 * tags.
 */
import type { OutgoingHttpHeaders } from 'node:http';

/**
 * Never stored, whoever set them. (`Cache-Status` is: it holds only the
 * upstream caches' members when stored, since this cache adds its own after;
 * a hit appends its member to theirs.)
 */
const NEVER_STORED: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'content-length', 'set-cookie', 'age', 'date', 'x-cache',
]);

/** True for a field no entry holds (an entry read back with one is damaged): the never-stored ones, `Date` aside (the cache stores its own). */
export function neverInEntry(name: string): boolean {
  return name !== 'date' && NEVER_STORED.has(name);
}

/** A field name as stored: a lower-case RFC 9110 token (what node's getHeaders() gives). */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
/** A field value node writes: tab, visible ASCII, obs-text; never CR, LF, NUL or another control (node's own check). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** An RFC 9110 token in any case: a field name node writes. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** True for an RFC 9110 token in any case: a field name node writes. */
export function isToken(name: string): boolean {
  return TOKEN.test(name);
}

/** True for a name a stored entry may carry and node accepts. */
export function isFieldName(name: string): boolean {
  return FIELD_NAME.test(name);
}

/** True for a stored field value (a string, or a list of strings, as `setHeader` takes) node writes as it is. */
export function isFieldValue(value: unknown): value is string | readonly string[] {
  if (typeof value === 'string') return FIELD_VALUE.test(value);
  return Array.isArray(value) && value.every((item) => typeof item === 'string' && FIELD_VALUE.test(item));
}

/** A header map keyed by names that came from a response or a request: no prototype, so `constructor` or `__proto__` is a name like any other. */
export function fieldMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** True when a field holds the same value in both snapshots. */
export function same(a: OutgoingHttpHeaders[string], b: OutgoingHttpHeaders[string]): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return (Array.isArray(a) ? a.join('\n') : String(a)) === (Array.isArray(b) ? b.join('\n') : String(b));
}

/** The fields to store: those the downstream set or changed, minus the never-stored ones and any the response's `Connection` names. */
export function storedHeaders(before: OutgoingHttpHeaders, after: OutgoingHttpHeaders, tagHeader: string | undefined): Record<string, string | string[]> {
  const out = fieldMap<string | string[]>();
  const connection = after.connection;
  const listed = connection === undefined ? undefined : new Set(String(connection).toLowerCase().split(',').map((name) => name.trim()));
  for (const name of Object.keys(after)) {
    const value = after[name];
    if (value === undefined || NEVER_STORED.has(name) || name === tagHeader || listed?.has(name)) continue;
    if (Object.hasOwn(before, name) && same(before[name], value)) continue;
    out[name] = Array.isArray(value) ? [...value] : String(value);
  }
  return out;
}

/** Every field as one string (repeated ones joined, RFC 9110 §5.3), as http-cache-semantics reads them. */
export function flatHeaders(headers: OutgoingHttpHeaders): Record<string, string> {
  const out = fieldMap<string>();
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

const MAX_TAGS = 64;
const TAG = /^[^\u0000-\u001f\u007f]{1,256}$/;

/** The handler's tags (`ctx.state.cacheTags`, the tag header's comma-separated list), well-formed ones only, at most 64, deduplicated. */
export function handlerTags(state: unknown, header: string | undefined): string[] {
  const tags = new Set<string>();
  const add = (tag: unknown): void => {
    if (tags.size < MAX_TAGS && typeof tag === 'string' && TAG.test(tag)) tags.add(tag);
  };
  if (Array.isArray(state)) for (const tag of state) add(tag);
  else if (typeof state === 'string') add(state);
  if (header !== undefined) for (const tag of header.split(',')) add(tag.trim());
  return [...tags];
}

/** The tag every entry of one resource carries, on every host and for every user: what unsafe methods and `invalidate()` use. */
export function resourceTag(resourcePath: string): string {
  return `#resource ${resourcePath}`;
}

/** The tag every entry of one user carries (per-user caches). */
export function userTag(id: string): string {
  return `#user ${id}`;
}
