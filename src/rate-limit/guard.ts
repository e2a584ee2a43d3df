/**
 * The guard around a shared store (DESIGN.md rule 8): a per-call timeout,
 * and a breaker that stops calling a store that keeps failing, lets one
 * probe through after `openMs`, and closes again when it succeeds. Each
 * episode — from the first failure to the first success after it — is
 * reported once, at its start and at its end. No timer exists while the
 * store answers synchronously (MemoryStore); a promise gets one timer,
 * cleared as soon as it settles.
 */
import { StoreTimeoutError, StoreUnavailableError } from './errors.js';
import { MemoryStore } from './memory-store.js';
import { type CompiledPolicies, stateLength } from './policy.js';
import type { RateLimitStore, StoreDecision } from './store.js';

/** How the store's health changed, as told to `onStoreEvent`. */
export type StoreEvent =
  | { readonly type: 'degraded'; readonly limiter: string; readonly store: string; readonly error: unknown }
  | { readonly type: 'recovered'; readonly limiter: string; readonly store: string; readonly downMs: number };

/** Why a store call did not decide, for the `reason` label of metrics. */
export type StoreFailure = 'error' | 'timeout' | 'breaker_open';

export interface GuardSettings {
  readonly limiter: string;
  readonly timeoutMs: number;
  /** Consecutive failures that open the breaker. */
  readonly breakerFailures: number;
  /** How long the breaker stays open before one probe, in ms. */
  readonly breakerOpenMs: number;
  readonly now: () => number;
  readonly onEvent: (event: StoreEvent) => void;
  readonly onFailure: (reason: StoreFailure) => void;
}

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;

export class StoreGuard {
  readonly store: RateLimitStore;
  readonly #s: GuardSettings;
  readonly #trusted: boolean;
  #state = CLOSED;
  #failures = 0;
  #openUntil = 0;
  /** When the current episode began (a failure after health), or -1 while healthy. */
  #downSince = -1;

  constructor(store: RateLimitStore, settings: GuardSettings) {
    this.store = store;
    this.#trusted = store instanceof MemoryStore;
    this.#s = settings;
  }

  /** One guarded decision: the store's answer, or a rejection with a store error. */
  consume(key: string, policies: CompiledPolicies, cost: number): StoreDecision | Promise<StoreDecision> {
    if (this.#state !== CLOSED) {
      if (this.#state === HALF_OPEN || this.#s.now() < this.#openUntil) {
        this.#s.onFailure('breaker_open');
        return Promise.reject(new StoreUnavailableError('the breaker is open after repeated failures'));
      }
      this.#state = HALF_OPEN; // this call is the probe
    }
    let answer: unknown;
    try {
      answer = this.store.consume(key, policies, cost);
    } catch (error) {
      this.#failed(error, 'error');
      return Promise.reject(error);
    }
    // Our own MemoryStore answers well-formed states, synchronously.
    if (this.#trusted) {
      this.#succeeded();
      return answer as StoreDecision;
    }
    // A custom store may answer through a thenable that is not a native Promise.
    if (answer instanceof Promise || isThenable(answer)) return this.#bounded(Promise.resolve(answer), policies);
    if (!isDecision(answer, policies)) return Promise.reject(this.#garbage());
    this.#succeeded();
    return answer as StoreDecision;
  }

  /** A store answered something that is not a decision: a store failure (counted, reported), never a decision. */
  #garbage(): StoreUnavailableError {
    const error = new StoreUnavailableError(`the ${this.store.kind} store answered something other than { allowed: boolean, state: [at, level…] }`);
    this.#failed(error, 'error');
    return error;
  }

  #bounded(answer: Promise<unknown>, policies: CompiledPolicies): Promise<StoreDecision> {
    const timeoutMs = this.#s.timeoutMs;
    return new Promise<StoreDecision>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        const error = new StoreTimeoutError(timeoutMs);
        this.#failed(error, 'timeout');
        reject(error);
      }, timeoutMs);
      answer.then(
        (decision) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (!isDecision(decision, policies)) {
            reject(this.#garbage());
            return;
          }
          this.#succeeded();
          resolve(decision);
        },
        (error: unknown) => {
          if (settled) return; // late failure of a call that already timed out: counted once
          settled = true;
          clearTimeout(timer);
          this.#failed(error, 'error');
          reject(error);
        },
      );
    });
  }

  #succeeded(): void {
    if (this.#state === CLOSED && this.#failures === 0) return;
    this.#state = CLOSED;
    this.#failures = 0;
    if (this.#downSince !== -1) {
      const downMs = Math.max(0, this.#s.now() - this.#downSince);
      this.#downSince = -1;
      this.#report({ type: 'recovered', limiter: this.#s.limiter, store: this.store.kind, downMs });
    }
  }

  #failed(error: unknown, reason: StoreFailure): void {
    this.#s.onFailure(reason);
    this.#failures += 1;
    if (this.#downSince === -1) {
      this.#downSince = this.#s.now();
      this.#report({ type: 'degraded', limiter: this.#s.limiter, store: this.store.kind, error });
    }
    // Failures of calls still in flight when it opened do not stretch an open breaker.
    if (this.#state === HALF_OPEN || (this.#state === CLOSED && this.#failures >= this.#s.breakerFailures)) {
      this.#state = OPEN;
      this.#openUntil = this.#s.now() + this.#s.breakerOpenMs;
    }
  }

  #report(event: StoreEvent): void {
    try {
      this.#s.onEvent(event);
    } catch {
      // A reporter that throws must not turn a store failure into a request failure.
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** `{ allowed: boolean, state }` with `length` finite numbers in the state. */
/** A well-formed answer whose levels a bucket can hold (0 to capacity): a store's nonsense never reaches the fields. */
function isDecision(answer: unknown, policies: CompiledPolicies): answer is StoreDecision {
  if (typeof answer !== 'object' || answer === null) return false;
  const { allowed, state } = answer as { allowed?: unknown; state?: unknown };
  if (typeof allowed !== 'boolean' || !Array.isArray(state) || state.length !== stateLength(policies)) return false;
  for (let i = 0; i < state.length; i++) if (!Number.isFinite(state[i]) || (i > 0 && (state[i] as number) < 0)) return false;
  for (let p = 0; p < policies.length; p++) if ((state[p + 1] as number) > policies[p]!.capacityUnits) return false;
  return true;
}
