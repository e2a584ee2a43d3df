/**
 * The answer's cache fields: the standard `Cache-Status` (RFC 9211) — one
 * list member naming this cache, with `hit` or `fwd=<why the handler ran>`,
 * `ttl` (negative once stale), `stored`, `collapsed` and a `detail` naming
 * why nothing was stored — and the familiar `X-Cache: HIT|MISS|STALE|BYPASS`.
 */
import type { NotStoredReason } from './freshness.js';

/** The `X-Cache` value. */
export type CacheResult = 'HIT' | 'MISS' | 'STALE' | 'BYPASS';

/** Why the handler ran (RFC 9211 §2.2 `fwd`). */
export type Forward = 'bypass' | 'method' | 'uri-miss' | 'vary-miss' | 'miss' | 'request' | 'stale';

/** Why the cache was bypassed: the `detail` of `fwd=bypass` and the `reason` label of metrics. */
export type BypassReason = 'request-body' | 'store-error';

export const BYPASS_REASONS: readonly BypassReason[] = ['request-body', 'store-error'];

/** `ward; hit; ttl=12` */
export function hitStatus(name: string, ttl: number): string {
  return `${name}; hit; ttl=${Math.round(ttl)}`;
}

/** `ward; fwd=uri-miss; stored; ttl=60`, `ward; fwd=miss; detail=private`, `ward; fwd=stale; fwd-status=503; ttl=-4` … */
export function forwardStatus(
  name: string,
  fwd: Forward,
  details: { stored?: boolean; ttl?: number; collapsed?: boolean; fwdStatus?: number; detail?: NotStoredReason | BypassReason | 'stale-if-error' } = {},
): string {
  let value = `${name}; fwd=${fwd}`;
  if (details.fwdStatus !== undefined) value += `; fwd-status=${details.fwdStatus}`;
  if (details.stored === true) value += '; stored';
  if (details.collapsed === true) value += '; collapsed';
  if (details.ttl !== undefined) value += `; ttl=${Math.round(details.ttl)}`;
  if (details.detail !== undefined) value += `; detail=${details.detail}`;
  return value;
}
