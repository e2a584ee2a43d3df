/**
 * The response fields of a decision:
 * - `RateLimit-Policy` and `RateLimit` of draft-ietf-httpapi-ratelimit-headers
 *   (-10), as RFC 9651 Lists with one member per policy:
 *   `RateLimit-Policy: "burst";q=10;w=1, "hourly";q=1000;w=3600` (made once,
 *   at configuration) and `RateLimit: "burst";r=3;t=1, "hourly";r=997;t=11`.
 *   `r` is the whole tokens left (never negative); `t` the seconds until the
 *   bucket is full again — except on a refusal, where a violated policy's
 *   `t` is the wait before this request could pass, so `Retry-After` is
 *   never earlier than `t` (draft §6).
 * - optionally the legacy `X-RateLimit-Limit/-Remaining/-Reset` of the
 *   strictest policy (the one with the fewest tokens left).
 * - `Retry-After` (delay-seconds, RFC 9110 §10.2.3) on refusals.
 * Policy names are restricted (policy.ts) to characters an sf-string needs
 * no escaping for.
 */
import { createHash } from 'node:crypto';
import type { CompiledPolicies } from './policy.js';
import type { RateLimitDecision } from './limiter.js';

export const RATELIMIT_POLICY = 'RateLimit-Policy';
export const RATELIMIT = 'RateLimit';

/** `RateLimit-Policy`: the same on every response of a limiter, unless a partition key (`pk`) is added. */
export function policyField(policies: CompiledPolicies, partitionKey?: string, rename?: (name: string) => string): string {
  const pk = partitionKey === undefined ? '' : `;pk=:${partitionKey}:`;
  return policies.map((p) => `"${rename === undefined ? p.name : rename(p.name)}";q=${p.limit};w=${p.windowSec}${pk}`).join(', ');
}

/** The draft's opaque partition key: base64 of the first 12 hex digits of SHA-256(key) (express-rate-limit's choice). */
export function partitionKeyOf(key: string): string {
  return Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64');
}

/** Whole seconds, rounded up, of a wait in milliseconds. */
export function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

/** `RateLimit` for one decision (empty string when nobody decided). */
export function rateLimitField(decision: RateLimitDecision, rename?: (name: string) => string): string {
  let field = '';
  const refused = !decision.allowed;
  // Inside a penalty block nothing is available until it ends, whatever the buckets hold.
  const blockMs = decision.outcome === 'blocked' ? decision.retryAfterMs : 0;
  for (let p = 0; p < decision.policies.length; p++) {
    const result = decision.policies[p]!;
    const wait = refused && result.retryAfterMs > 0 && Number.isFinite(result.retryAfterMs) ? result.retryAfterMs : result.resetMs;
    field += `${p === 0 ? '' : ', '}"${rename === undefined ? result.name : rename(result.name)}";r=${blockMs > 0 ? 0 : result.remaining};t=${seconds(Math.max(wait, blockMs))}`;
  }
  return field;
}

/** The legacy `X-RateLimit-*` values of the strictest policy: [limit, remaining, reset seconds]. */
export function legacyFields(decision: RateLimitDecision): [number, number, number] | undefined {
  let strictest = decision.policies[0];
  if (strictest === undefined) return undefined;
  for (const result of decision.policies) if (result.remaining < strictest.remaining) strictest = result;
  if (decision.outcome === 'blocked') return [strictest.limit, 0, seconds(Math.max(strictest.resetMs, decision.retryAfterMs))];
  return [strictest.limit, strictest.remaining, seconds(strictest.resetMs)];
}
