/**
 * What the circuit-breaker tests share: waiting for a breaker to reach a
 * state, through its own stateChange event.
 */
import type { CircuitBreaker, CircuitState } from '@ward/circuit-breaker';

/** Resolves when the breaker reaches `state`. */
export function reaches(breaker: CircuitBreaker, state: CircuitState): Promise<void> {
  return new Promise((resolve) => {
    if (breaker.state === state) return resolve();
    const off = breaker.on('stateChange', (e) => {
      if (e.to === state) {
        off();
        resolve();
      }
    });
  });
}

