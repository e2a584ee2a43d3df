/**
 * What the response-cache suites share (issue "cache"): the route's
 * freshness, the 1 ms handler, and the answer checks.
 *
 * The slow handler spends 1 ms of CPU (a busy loop), as a handler that
 * queries, renders or serialises does: a sleeping one would cost no CPU,
 * and on two cores the ratio of cached to uncached would then measure
 * nothing but the cache's own overhead.
 */
import { PAYLOAD_JSON } from './payload.js';

/** The cached route's Cache-Control: fresh for the whole run. */
export const CACHE_CONTROL = 'public, max-age=3600';

/** Burns 1 ms of CPU. */
export function busyMillisecond() {
  const end = process.hrtime.bigint() + 1_000_000n;
  while (process.hrtime.bigint() < end) {
    // spin
  }
}

/**
 * The payload, status 200.
 *
 * @param {number} status
 * @param {string} body
 * @returns {string | undefined}
 */
export function checkCachedPayload(status, body) {
  if (status !== 200) return 'expected status 200';
  if (body !== PAYLOAD_JSON) return `expected body ${PAYLOAD_JSON}`;
  return undefined;
}

/**
 * The payload answered from ward's cache (the check runs after a first request stored it).
 *
 * @param {number} status
 * @param {string} body
 * @param {Headers} headers
 * @returns {string | undefined}
 */
export function checkWardHit(status, body, headers) {
  return checkCachedPayload(status, body) ?? (headers.get('x-cache') === 'HIT' ? undefined : `expected X-Cache: HIT, got ${headers.get('x-cache')}`);
}

/**
 * The payload answered from apicache. Under NODE_ENV=production (as the
 * bench runs servers) its hits carry no `apicache-store` field, but their
 * Cache-Control is apicache's own `max-age=<remaining>`, not the route's.
 *
 * @param {number} status
 * @param {string} body
 * @param {Headers} headers
 * @returns {string | undefined}
 */
export function checkApicacheHit(status, body, headers) {
  return checkCachedPayload(status, body) ?? (/^max-age=\d+$/.test(headers.get('cache-control') ?? '') ? undefined : `expected an apicache hit (its max-age=…), got cache-control ${headers.get('cache-control')}`);
}
