/**
 * The metrics of circuit breakers, after resilience4j-micrometer's names:
 * - `ward_circuit_breaker_state{breaker, state}`: 1 for the current state, 0 for the others
 * - `ward_circuit_breaker_calls_total{breaker, outcome}`: success, failure, ignored, rejected
 * - `ward_circuit_breaker_slow_calls_total{breaker, outcome}`: slow successes and slow failures
 * - `ward_circuit_breaker_transitions_total{breaker, from, to}`
 *
 * The per-call series are hot counters (a plain addition per call, handed
 * to prom-client when scraped).
 */
import { type HotCounter, type MetricsRegistry, hotCounter, resolveRegistry, wardCounter, wardGauge } from '@ward/metrics';
import type { CircuitState } from './state.js';

export interface BreakerMetrics {
  readonly success: HotCounter;
  readonly failure: HotCounter;
  readonly ignored: HotCounter;
  readonly rejected: HotCounter;
  readonly slowSuccess: HotCounter;
  readonly slowFailure: HotCounter;
  /** Counts a transition (unless `count` is false) and shows `to` as the current state. */
  transition(from: CircuitState, to: CircuitState, count?: boolean): void;
}

const STATES: readonly CircuitState[] = ['closed', 'open', 'half-open'];

/** A breaker that reports nowhere (`registry: false`). */
const NOOP: HotCounter = { inc() {} };
export const NO_METRICS: BreakerMetrics = {
  success: NOOP,
  failure: NOOP,
  ignored: NOOP,
  rejected: NOOP,
  slowSuccess: NOOP,
  slowFailure: NOOP,
  transition() {},
};

/**
 * The series of one breaker name on one registry, made once: a breaker made
 * again for a name (a registry's evicted per-key breaker coming back) reuses
 * them, so churning breakers never grow prom-client's or the hot counters' lists.
 */
const made = new WeakMap<MetricsRegistry, Map<string, BreakerMetrics>>();

export function breakerMetrics(registry: MetricsRegistry | undefined, prefix: string | undefined, breaker: string): BreakerMetrics {
  const target = resolveRegistry(registry, 'new CircuitBreaker(options).registry');
  let byName = made.get(target);
  if (byName === undefined) made.set(target, (byName = new Map()));
  const id = `${prefix ?? ''}\u0000${breaker}`;
  let metrics = byName.get(id);
  if (metrics === undefined) byName.set(id, (metrics = makeMetrics(target, prefix, breaker)));
  else metrics.transition('closed', 'closed', false);
  return metrics;
}

function makeMetrics(registry: MetricsRegistry, prefix: string | undefined, breaker: string): BreakerMetrics {
  const calls = wardCounter(registry, { prefix, name: 'circuit_breaker_calls_total', help: 'Calls through a circuit breaker, by outcome (success, failure, ignored, rejected).', labelNames: ['breaker', 'outcome'] });
  const slow = wardCounter(registry, { prefix, name: 'circuit_breaker_slow_calls_total', help: 'Calls slower than the slow-call threshold, by outcome (success, failure).', labelNames: ['breaker', 'outcome'] });
  const transitions = wardCounter(registry, { prefix, name: 'circuit_breaker_transitions_total', help: 'State changes of a circuit breaker.', labelNames: ['breaker', 'from', 'to'] });
  const state = wardGauge<'breaker' | 'state'>(registry, { prefix, name: 'circuit_breaker_state', help: 'The state of a circuit breaker: 1 for the current state, 0 for the others.', labelNames: ['breaker', 'state'] });
  const show = (current: CircuitState): void => {
    for (const s of STATES) state.set({ breaker, state: s }, s === current ? 1 : 0);
  };
  show('closed');
  return {
    success: hotCounter(calls, { breaker, outcome: 'success' }),
    failure: hotCounter(calls, { breaker, outcome: 'failure' }),
    ignored: hotCounter(calls, { breaker, outcome: 'ignored' }),
    rejected: hotCounter(calls, { breaker, outcome: 'rejected' }),
    slowSuccess: hotCounter(slow, { breaker, outcome: 'success' }),
    slowFailure: hotCounter(slow, { breaker, outcome: 'failure' }),
    transition(from, to, count = true) {
      if (count) transitions.inc({ breaker, from, to });
      show(to);
    },
  };
}
