/**
 * The decision counter of `rbac()` checks: `ward_authz_decisions_total{check, decision}`,
 * one `hotCounter` per (check, decision). `check` is built from the
 * configuration (`role:admin`, `permission:orders:read`), never from a
 * request, so the series are bounded.
 */
import { type HotCounter, type MetricsRegistry, hotCounter, wardCounter } from '@ward/metrics';

export const DECISIONS = ['allowed', 'denied', 'unauthenticated', 'error'] as const;
export type AuthzOutcome = (typeof DECISIONS)[number];

export function decisionCounters(registry: MetricsRegistry, prefix: string, check: string): Readonly<Record<AuthzOutcome, HotCounter>> {
  const counter = wardCounter(registry, {
    prefix,
    name: 'authz_decisions_total',
    help: 'Authorization decisions of rbac() checks, by check and decision (allowed, denied, unauthenticated, error).',
    labelNames: ['check', 'decision'],
  });
  const series = {} as Record<AuthzOutcome, HotCounter>;
  for (const decision of DECISIONS) series[decision] = hotCounter(counter, { check, decision });
  return series;
}
