/**
 * The states of a circuit breaker and what a breaker reports about itself
 * (`snapshot()`, the `stateChange` event, the health endpoint).
 */

/** closed: calls flow and are judged; open: calls are refused; half-open: a few trial calls decide. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Why a breaker changed state (the `reason` of a `stateChange` event and of the metric). */
export type TransitionReason =
  /** closed → open: the failure rate reached its threshold. */
  | 'failure-rate'
  /** closed → open: the slow-call rate reached its threshold. */
  | 'slow-call-rate'
  /** open → half-open: the open duration elapsed. */
  | 'open-elapsed'
  /** half-open → closed: the trial calls did well. */
  | 'trials-passed'
  /** half-open → open: the trial calls failed or were slow. */
  | 'trials-failed'
  /** half-open → open: the trial calls did not all finish within `maxHalfOpenMs`. */
  | 'half-open-timeout'
  /** `isolate()` or `reset()`. */
  | 'manual'
  /** Another instance sharing the state (Redis) opened or closed the circuit. */
  | 'shared';

/** A breaker's state and figures, JSON-safe, as `snapshot()` and the health endpoint give them. */
export interface BreakerSnapshot {
  readonly name: string;
  readonly state: CircuitState;
  /** True while `isolate()` holds the breaker open. */
  readonly isolated: boolean;
  /** Calls in the current window (closed) or trial calls recorded (half-open). */
  readonly calls: number;
  /** Percent of those calls that failed, or null below `minimumCalls` (not judged yet). */
  readonly failureRate: number | null;
  /** Percent of those calls that were slow, or null below `minimumCalls`. */
  readonly slowCallRate: number | null;
  /** How many times the breaker opened since it last closed (drives a growing open duration). */
  readonly trips: number;
  /** While open: milliseconds until a trial call is let through; null while isolated (until `reset()`); otherwise 0. */
  readonly retryAfterMs: number | null;
}
