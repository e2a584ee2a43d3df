/**
 * Shared by the rate-limit HTTP suites (`rate-limit-express.js`,
 * `rate-limit-fastify.js`) and bench/run.js: the one policy every limiter
 * runs — so large that every request is allowed, and what is measured is
 * the per-request cost of deciding and sending the fields, never a 429 —
 * and the checks of each variant's answer before loading.
 */
import { checkPayload } from './payload.js';

/** One request per hour: after the first, every request of the `*-refuse` variants is refused (the flood path). */
export const TINY_POLICY = Object.freeze({ name: 'default', limit: 1, windowMs: 3_600_000 });

/** 1e9 requests per minute: nothing the load generator can exhaust. */
export const HUGE_POLICY = Object.freeze({ name: 'default', limit: 1_000_000_000, windowMs: 60_000 });

/** Rate-limit fields of any flavour: IETF drafts 6–10 and the legacy `X-RateLimit-*`. */
const ANY_FIELD = ['ratelimit', 'ratelimit-policy', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

/**
 * `bare`: the payload and no rate-limit field at all (a baseline that
 * limited would make every ratio wrong).
 *
 * @param {number} status
 * @param {string} body
 * @param {Headers} headers
 * @returns {string | undefined}
 */
export function checkNoLimiter(status, body, headers) {
  const complaint = checkPayload(status, body);
  if (complaint !== undefined) return complaint;
  const found = ANY_FIELD.filter((name) => headers.has(name));
  return found.length === 0 ? undefined : `the bare variant must run no limiter, but answered ${found.join(', ')}`;
}

/**
 * ward's `rateLimit()`: the payload, `RateLimit-Policy: "default";q=1000000000;w=60`
 * and a `RateLimit` field for the `default` policy with tokens left.
 *
 * @param {number} status
 * @param {string} body
 * @param {Headers} headers
 * @returns {string | undefined}
 */
export function checkWardLimiter(status, body, headers) {
  const complaint = checkPayload(status, body);
  if (complaint !== undefined) return complaint;
  const policy = headers.get('ratelimit-policy');
  if (policy !== `"default";q=${HUGE_POLICY.limit};w=60`) return `expected RateLimit-Policy: "default";q=${HUGE_POLICY.limit};w=60, got ${JSON.stringify(policy)}`;
  const field = headers.get('ratelimit');
  if (field === null || !/^"default";r=\d+;t=\d+$/.test(field)) return `expected RateLimit: "default";r=…;t=…, got ${JSON.stringify(field)}`;
  return undefined;
}

/**
 * express-rate-limit with `standardHeaders: 'draft-8'`: `RateLimit-Policy`
 * and `RateLimit` (its own draft-8 syntax), no legacy fields.
 *
 * @param {number} status
 * @param {string} body
 * @param {Headers} headers
 * @returns {string | undefined}
 */
export function checkExpressRateLimit(status, body, headers) {
  const complaint = checkPayload(status, body);
  if (complaint !== undefined) return complaint;
  const policy = headers.get('ratelimit-policy');
  if (policy === null || !policy.includes(`q=${HUGE_POLICY.limit}`)) return `expected RateLimit-Policy with q=${HUGE_POLICY.limit}, got ${JSON.stringify(policy)}`;
  const field = headers.get('ratelimit');
  if (field === null || !/r=\d+/.test(field)) return `expected RateLimit with r=…, got ${JSON.stringify(field)}`;
  if (headers.has('x-ratelimit-limit')) return 'expected no legacy X-RateLimit-* fields';
  return undefined;
}

/**
 * @fastify/rate-limit with `enableDraftSpec: true`: `RateLimit-Limit`,
 * `RateLimit-Remaining`, `RateLimit-Reset`.
 *
 * @param {number} status
 * @param {string} body
 * @param {Headers} headers
 * @returns {string | undefined}
 */
export function checkFastifyRateLimit(status, body, headers) {
  const complaint = checkPayload(status, body);
  if (complaint !== undefined) return complaint;
  if (headers.get('ratelimit-limit') !== String(HUGE_POLICY.limit)) return `expected RateLimit-Limit: ${HUGE_POLICY.limit}, got ${JSON.stringify(headers.get('ratelimit-limit'))}`;
  if (!/^\d+$/.test(headers.get('ratelimit-remaining') ?? '')) return 'expected RateLimit-Remaining';
  if (!/^\d+$/.test(headers.get('ratelimit-reset') ?? '')) return 'expected RateLimit-Reset';
  return undefined;
}

/**
 * A refusal of any of the limiters: 429 with `Retry-After`.
 *
 * @param {number} status
 * @param {string} _body
 * @param {Headers} headers
 * @returns {string | undefined}
 */
function checkRefusal(status, _body, headers) {
  if (status !== 429) return `expected a refusal (429), got ${status}`;
  if (!/^\d+$/.test(headers.get('retry-after') ?? '')) return `expected Retry-After in seconds, got ${JSON.stringify(headers.get('retry-after'))}`;
  return undefined;
}

/**
 * ward's refusal: 429 problem+json `RATE_LIMITED` with `Retry-After` and the
 * `RateLimit` fields (no tokens left).
 *
 * @param {number} status
 * @param {string} body
 * @param {Headers} headers
 * @returns {string | undefined}
 */
export function checkWardRefused(status, body, headers) {
  const complaint = checkRefusal(status, body, headers);
  if (complaint !== undefined) return complaint;
  if (headers.get('content-type') !== 'application/problem+json') return `expected application/problem+json, got ${JSON.stringify(headers.get('content-type'))}`;
  if (/** @type {{ code?: unknown }} */ (JSON.parse(body)).code !== 'RATE_LIMITED') return 'expected code RATE_LIMITED';
  if (!/^"default";r=0;t=\d+$/.test(headers.get('ratelimit') ?? '')) return `expected RateLimit: "default";r=0;t=…, got ${JSON.stringify(headers.get('ratelimit'))}`;
  return undefined;
}

/** A peer's refusal: 429 with `Retry-After` (each peer's own body). */
export const checkPeerRefused = checkRefusal;
