/**
 * The errors of @ward/circuit-breaker, each with a stable code and a brand
 * so `isBrokenCircuitError()` works across copies of the package.
 */
import { HttpError, WardError, hasBrand } from '@ward/core';
import type { CircuitState } from './state.js';

const BROKEN = Symbol.for('ward.broken-circuit');

/**
 * A call refused without being made: the breaker is open, or half-open with
 * every trial call taken. Never recorded as a failure, never retried.
 */
export class BrokenCircuitError extends WardError {
  override name = 'BrokenCircuitError';
  declare readonly code: 'CIRCUIT_OPEN';
  /** The breaker's name. */
  readonly breaker: string;
  /** The state that refused the call. */
  readonly state: Exclude<CircuitState, 'closed'>;
  /**
   * Milliseconds until the breaker lets a trial call through (open), or a
   * short guess while the trials of a half-open breaker are in flight;
   * `Infinity` while it is isolated (until `reset()`).
   */
  readonly retryAfterMs: number;
  readonly [BROKEN] = true;

  /** {@link retryAfterMs} as `Retry-After` sends it: whole seconds, rounded up, at least 1. */
  get retryAfter(): number {
    return retryAfterSeconds(this.retryAfterMs);
  }

  constructor(breaker: string, state: Exclude<CircuitState, 'closed'>, retryAfterMs: number) {
    super('CIRCUIT_OPEN', state === 'open' ? `circuit "${breaker}" is open` : `circuit "${breaker}" is half-open and its trial calls are taken`);
    this.breaker = breaker;
    this.state = state;
    this.retryAfterMs = retryAfterMs;
  }
}

/** True for a {@link BrokenCircuitError}, from any copy of the package. */
export function isBrokenCircuitError(value: unknown): value is BrokenCircuitError {
  return hasBrand(value, BROKEN);
}

/**
 * The 503 problem a route answers while its breaker refuses calls, with
 * `Retry-After` in whole seconds (≥ 1) — none while the breaker is
 * isolated, since nobody knows when it will be reset.
 */
export function circuitOpenProblem(error: BrokenCircuitError): HttpError {
  return new HttpError(503, {
    code: 'CIRCUIT_OPEN',
    title: 'Service Unavailable',
    detail: error.state === 'open' ? 'This service is failing and is not being called for a while' : 'This service is being tested after failing; try again shortly',
    headers: Number.isFinite(error.retryAfterMs) ? { 'Retry-After': String(retryAfterSeconds(error.retryAfterMs)) } : {},
    expose: true,
  });
}

/** RFC 9110 §10.2.3 delay-seconds: a whole number, rounded up so a client never comes back early; at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
