/**
 * Validators and conditional requests (RFC 9110 §8.8, §13): a strong ETag
 * made from the body's hash when the handler set none, and the
 * `If-None-Match` / `If-Modified-Since` evaluation that turns a GET or HEAD
 * into a 304, for stored and fresh responses alike.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { parseHttpDate } from '@ward/core';

/** A strong entity tag of `body`: 132 bits of its SHA-256, quoted (`"…"`). */
export function strongEtag(body: Uint8Array | string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

/** `W/"x"` → `"x"`: the opaque tag, for the weak comparison If-None-Match uses (RFC 9110 §13.1.2). */
function opaque(tag: string): string {
  const trimmed = tag.trim();
  return trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed;
}

/**
 * True when the request's preconditions say the client's copy is current:
 * `If-None-Match` (`*`, or any listed tag, weakly compared) when present —
 * `If-Modified-Since` is then ignored (RFC 9110 §13.1.3) — else
 * `If-Modified-Since` against `Last-Modified`.
 */
export function notModified(request: IncomingHttpHeaders, etag: string | undefined, lastModified: string | undefined): boolean {
  const inm = request['if-none-match'];
  if (inm !== undefined) {
    if (inm.trim() === '*') return true;
    if (etag === undefined) return false;
    const mine = opaque(etag);
    const tags = entityTags(inm);
    return tags !== undefined && tags.some((tag) => opaque(tag) === mine);
  }
  // RFC 9110 §13.1.3: a field that is not an HTTP-date is ignored (Date.parse would read '2026' as one).
  const since = parseHttpDate(request['if-modified-since']);
  const modified = parseHttpDate(lastModified);
  return since !== undefined && modified !== undefined && modified <= since;
}

/**
 * The entity-tags of an `If-None-Match` list (RFC 9110 §8.8.3: `W/"…"` or
 * `"…"`, and a comma inside the quotes is part of the tag); undefined when
 * the list does not parse — no tag then matches.
 */
function entityTags(list: string): string[] | undefined {
  const tags: string[] = [];
  let i = 0;
  const n = list.length;
  for (;;) {
    while (i < n && (list[i] === ' ' || list[i] === '\t' || list[i] === ',')) i++;
    if (i >= n) return tags;
    const start = i;
    if (list.startsWith('W/', i)) i += 2;
    if (list[i] !== '"') return undefined;
    const close = list.indexOf('"', i + 1);
    if (close === -1) return undefined;
    tags.push(list.slice(start, close + 1));
    i = close + 1;
    while (i < n && (list[i] === ' ' || list[i] === '\t')) i++;
    if (i < n && list[i] !== ',') return undefined;
  }
}

/** The fields a 304 keeps out: it has no content (RFC 9110 §15.4.5 keeps Cache-Control, Content-Location, Date, ETag, Expires, Vary). */
export const NOT_MODIFIED_DROPS: readonly string[] = ['content-type', 'content-length', 'content-encoding', 'content-range', 'transfer-encoding'];
