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

/** True when a field holds the same value in both snapshots. */
export function same(a: OutgoingHttpHeaders[string], b: OutgoingHttpHeaders[string]): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return (Array.isArray(a) ? a.join('\n') : String(a)) === (Array.isArray(b) ? b.join('\n') : String(b));
}

/** The fields to store: those the downstream set or changed, minus the never-stored ones and any the response's `Connection` names. */
export function storedHeaders(before: OutgoingHttpHeaders, after: OutgoingHttpHeaders, tagHeader: string | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const connection = after.connection;
  const listed = connection === undefined ? undefined : new Set(String(connection).toLowerCase().split(',').map((name) => name.trim()));
  for (const name of Object.keys(after)) {
    const value = after[name];
    if (value === undefined || NEVER_STORED.has(name) || name === tagHeader || listed?.has(name)) continue;
    if (same(before[name], value)) continue;
    out[name] = Array.isArray(value) ? [...value] : String(value);
  }
  return out;
}

/** Every field as one string (repeated ones joined, RFC 9110 §5.3), as http-cache-semantics reads them. */
export function flatHeaders(headers: OutgoingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
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
