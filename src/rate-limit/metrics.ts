/**
 * The counters of one limiter, registered once per (registry, name) through
 * @ward/metrics; each series this limiter writes is a `hotCounter` (a plain
 * number, handed to prom-client when scraped), so a decision costs one
 * addition, not a label hash:
 * - `ward_rate_limit_decisions_total{limiter, outcome, source}`
 * - `ward_rate_limit_store_errors_total{limiter, store, reason}` (error, timeout, breaker_open)
 * - `ward_rate_limit_store_duration_seconds{limiter, store}` (asynchronous stores only)
 */
import { type HotCounter, type MetricsRegistry, hotCounter, hotHistogram, wardCounter, wardHistogram } from '@ward/metrics';
import type { StoreFailure } from './guard.js';

export type Outcome = 'allowed' | 'limited' | 'cost_exceeds_burst' | 'blocked' | 'failed_open' | 'failed_closed';
export type Source = 'store' | 'fallback' | 'none';

export interface LimiterMetrics {
  decision(outcome: Outcome, source: Source): void;
  storeError(reason: StoreFailure): void;
  /** True when store latency is observed (the store is asynchronous). */
  readonly timed: boolean;
  latency(seconds: number): void;
}

/** Which outcomes each source can have: the series that exist from the start. */
const SOURCES: Readonly<Record<Source, readonly Outcome[]>> = {
  store: ['allowed', 'limited', 'cost_exceeds_burst', 'blocked'],
  fallback: ['allowed', 'limited', 'cost_exceeds_burst', 'blocked'],
  none: ['failed_open', 'failed_closed'],
};
const FAILURES: readonly StoreFailure[] = ['error', 'timeout', 'breaker_open'];

/** Store latency buckets, in seconds: 0.1 ms to 100 ms. */
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

export function rateLimitMetrics(registry: MetricsRegistry, prefix: string, limiter: string, store: string): LimiterMetrics {
  const decisions = wardCounter(registry, {
    prefix,
    name: 'rate_limit_decisions_total',
    help: 'Rate-limit decisions, by limiter, outcome and who decided (store, fallback, none).',
    labelNames: ['limiter', 'outcome', 'source'],
  });
  const errors = wardCounter(registry, {
    prefix,
    name: 'rate_limit_store_errors_total',
    help: 'Rate-limit store calls that did not decide, by reason (error, timeout, breaker_open).',
    labelNames: ['limiter', 'store', 'reason'],
  });
  const series: Record<string, Partial<Record<Outcome, HotCounter>>> = {};
  for (const source of Object.keys(SOURCES) as Source[]) {
    const bySource: Partial<Record<Outcome, HotCounter>> = {};
    for (const outcome of SOURCES[source]) bySource[outcome] = hotCounter(decisions, { limiter, outcome, source });
    series[source] = bySource;
  }
  const failures = {} as Record<StoreFailure, HotCounter>;
  for (const reason of FAILURES) failures[reason] = hotCounter(errors, { limiter, store, reason });
  const timed = store !== 'memory';
  const histogram = timed
    ? hotHistogram(
        wardHistogram(registry, {
          prefix,
          name: 'rate_limit_store_duration_seconds',
          help: 'Time a rate-limit store took to decide, in seconds.',
          labelNames: ['limiter', 'store'],
          buckets: STORE_BUCKETS,
        }),
        { limiter, store },
      )
    : undefined;
  return {
    decision: (outcome, source) => series[source]![outcome]!.inc(),
    storeError: (reason) => failures[reason].inc(),
    timed,
    latency: (seconds) => histogram?.observe(seconds),
  };
}
