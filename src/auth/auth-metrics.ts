/**
 * The verification counter of `jwtAuth()`, registered once per registry:
 * `ward_auth_verifications_total{outcome}`, each series a `hotCounter` (a
 * plain addition per request, handed to prom-client at scrape time).
 * `cached` counts the hits that skipped the signature; `verified` the ones
 * that ran it.
 */
import { type HotCounter, type MetricsRegistry, hotCounter, wardCounter } from '@ward/metrics';

export const VERIFY_OUTCOMES = ['verified', 'cached', 'anonymous', 'missing', 'malformed', 'invalid', 'expired', 'revoked', 'unavailable'] as const;
export type VerifyOutcome = (typeof VERIFY_OUTCOMES)[number];

export type VerifyCounters = Readonly<Record<VerifyOutcome, HotCounter>>;

export function verifyCounters(registry: MetricsRegistry, prefix: string): VerifyCounters {
  const counter = wardCounter(registry, {
    prefix,
    name: 'auth_verifications_total',
    help: 'Access-token checks by jwtAuth, by outcome (verified, cached, anonymous, missing, malformed, invalid, expired, revoked, unavailable).',
    labelNames: ['outcome'],
  });
  const series = {} as Record<VerifyOutcome, HotCounter>;
  for (const outcome of VERIFY_OUTCOMES) series[outcome] = hotCounter(counter, { outcome });
  return series;
}
