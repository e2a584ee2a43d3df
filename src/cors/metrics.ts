/**
 * `ward_cors_rejected_total{reason}`: refused CORS requests, by reason. Four
 * label values only (`origin`, `method`, `headers`, `error`), all created
 * at 0 when the middleware is built so rates and alerts see them from the
 * start; the per-request cost is one `inc()` on a cached child.
 */
import type { WardMetricsOptions } from '@ward/metrics';
import { wardCounter } from '@ward/metrics';
import type { CorsRejectReason } from './options.js';

/** Every `reason` label value. */
export const REJECT_REASONS: readonly CorsRejectReason[] = Object.freeze(['origin', 'method', 'headers', 'error']);

/** Increments one reason. */
export type RejectCounter = Readonly<Record<CorsRejectReason, { inc(): void }>>;

/** Registers (or reuses) the counter and returns one cached child per reason. */
export function rejectCounter({ registry, prefix }: Required<WardMetricsOptions>): RejectCounter {
  const counter = wardCounter(registry, {
    prefix,
    name: 'cors_rejected_total',
    help: 'CORS requests refused by @ward/cors, by reason: origin (not allowed), method or headers (a preflight asked for more than the policy allows), error (the origin function failed).',
    labelNames: ['reason'] as const,
  });
  const children = {} as Record<CorsRejectReason, { inc(): void }>;
  for (const reason of REJECT_REASONS) {
    counter.inc({ reason }, 0);
    children[reason] = counter.labels({ reason });
  }
  return Object.freeze(children);
}
