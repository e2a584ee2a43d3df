/**
 * The counters of one limiter, registered once per (registry, name) through
 * @ward/metrics and bound to this limiter's labels at configuration, so a
 * decision costs one pre-bound `inc()`:
 * - `ward_rate_limit_decisions_total{limiter, outcome, source}`
 * - `ward_rate_limit_store_errors_total{limiter, store, reason}` (error, timeout, breaker_open)
 * - `ward_rate_limit_store_duration_seconds{limiter, store}` (asynchronous stores only)
 */
import { type MetricsRegistry, wardCounter, wardHistogram } from '@ward/metrics';
import type { StoreFailure } from './guard.js';

type Outcome = 'allowed' | 'limited' | 'cost_exceeds_burst' | 'blocked' | 'failed_open' | 'failed_closed';
type Source = 'store' | 'fallback' | 'none';

export interface LimiterMetrics {
  decision(outcome: Outcome, source: Source): void;
  storeError(reason: StoreFailure): void;
  /** True when store latency is observed (the store is asynchronous). */
  readonly timed: boolean;
  latency(seconds: number): void;
}

const OUTCOMES: readonly Outcome[] = ['allowed', 'limited', 'cost_exceeds_burst', 'blocked', 'failed_open', 'failed_closed'];
const SOURCES: readonly Source[] = ['store', 'fallback', 'none'];
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
  // Pre-bound children: a decision is one inc() on an object found by index, no label hashing.
  const bound = new Map<string, { inc(): void }>();
  for (const outcome of OUTCOMES) {
    for (const source of SOURCES) bound.set(`${outcome}/${source}`, decisions.labels({ limiter, outcome, source }));
  }
  const failures = new Map<StoreFailure, { inc(): void }>();
  for (const reason of FAILURES) {
    const child = errors.labels({ limiter, store, reason });
    child.inc(0);
    failures.set(reason, child);
  }
  const timed = store !== 'memory';
  const histogram = timed
    ? wardHistogram(registry, {
        prefix,
        name: 'rate_limit_store_duration_seconds',
        help: 'Time a rate-limit store took to decide, in seconds.',
        labelNames: ['limiter', 'store'],
        buckets: STORE_BUCKETS,
      }).labels({ limiter, store })
    : undefined;
  return {
    decision: (outcome, source) => bound.get(`${outcome}/${source}`)!.inc(),
    storeError: (reason) => failures.get(reason)!.inc(),
    timed,
    latency: (seconds) => histogram?.observe(seconds),
  };
}
