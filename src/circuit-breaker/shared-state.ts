/**
 * The seam between a breaker and a state shared by a fleet (Redis, see
 * redis-state.ts). The breaker still judges its own calls with its own
 * window; what is shared is the verdict: when one instance opens the
 * circuit, the others open too (at their next sync), and when the open
 * period ends only the instance holding the trial lease runs trial calls.
 * Nothing shared is on a call's path: the breaker tells the link about its
 * transitions, and the link calls back with the fleet's decisions.
 */

/** A verdict read from the shared store; `'none'`: there is none (never written, expired, evicted, lost). */
export type SharedVerdict = 'open' | 'closed' | 'none';

/** What a breaker exposes to the shared state it is attached to. */
export interface SharedBreakerHandle {
  readonly name: string;
  /**
   * The fleet says: open for `remainingMs` more (another instance tripped
   * it), closed (its trials passed), or none: the store holds no verdict
   * (lost in a restart, evicted, deleted). No verdict closes nothing: the
   * breaker keeps its own state, and an open period it still holds is
   * written again through {@link SharedBreakerLink.opened}.
   */
  applyShared(state: SharedVerdict, remainingMs: number): void;
  /**
   * Optional: a number that changes on every local transition. A verdict
   * read while the breaker moved on its own (it tripped, its trials passed)
   * predates that move, and is dropped. Default: none (every verdict applies).
   */
  version?(): number;
}

/** The answer to {@link SharedBreakerLink.claimTrials}. */
export type TrialClaim = 'mine' | 'taken' | 'closed' | number;

/** What a shared state gives each breaker attached to it. */
export interface SharedBreakerLink {
  /** This instance opened the circuit for `durationMs` (or, the store having lost the verdict, still has `durationMs` of it left). */
  opened(durationMs: number): void;
  /** This instance's trial calls passed: the circuit is closed for everyone. */
  closed(): void;
  /**
   * The open period ended here. Resolves `'mine'` when this instance may run
   * the trial calls (it holds the lease for `leaseMs`), `'taken'` when
   * another does, `'closed'` when the fleet's circuit is closed already
   * (another instance's trials passed; never for a verdict that is merely
   * missing), or the ms left when the fleet's period ends later than this
   * instance knew.
   * Resolves `'mine'` when the shared store cannot be reached (the breaker
   * then acts alone, as it would without sharing).
   */
  claimTrials(leaseMs: number): Promise<TrialClaim>;
  /** Gives back a lease won too late to use (the circuit closed or re-opened meanwhile). */
  releaseTrials(): void;
  /** Stops syncing this breaker. */
  detach(): void;
}

/** A state several instances share; one per process, attached to any number of breakers. */
export interface SharedCircuitState {
  attach(breaker: SharedBreakerHandle): SharedBreakerLink;
}
