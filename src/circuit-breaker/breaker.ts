/**
 * `CircuitBreaker`: resilience4j's state machine for a Node API.
 *
 * - closed: every call runs and is recorded in a sliding window (the last N
 *   calls, or the last N ms); once it holds `minimumCalls`, a failure rate
 *   or slow-call rate at or above its threshold opens the circuit.
 * - open: calls are refused at once with a `BrokenCircuitError` carrying
 *   `retryAfterMs`, and are not recorded. After `openDurationMs` (growing
 *   on repeated trips when configured) the next call, or a timer with
 *   `autoHalfOpen`, moves to half-open.
 * - half-open: `halfOpenCalls` trial calls run, extra concurrent calls are
 *   refused; once all trials are recorded, their rates decide: open again,
 *   or closed with a fresh window.
 *
 * The closed-state success path arms no timer and allocates nothing but
 * the promise of the call: two clock reads, one window write and a
 * threshold check. A call that finishes after the state it started in is
 * over (a slow call from before a trip) is counted in metrics, not judged.
 */
import { type CallOutcome, type CircuitBreakerOptions, type ResolvedBreakerOptions, resolveBreakerOptions } from './options.js';
import { BrokenCircuitError } from './errors.js';
import { type BreakerMetrics, NO_METRICS, breakerMetrics } from './metrics.js';
import type { SharedBreakerLink, SharedVerdict, TrialClaim } from './shared-state.js';
import { CountWindow, FAILED, SLOW, type SlidingWindow, TimeWindow } from './sliding-window.js';
import type { BreakerSnapshot, CircuitState, TransitionReason } from './state.js';

/** The events of a breaker and what each listener gets. */
export interface BreakerEvents {
  stateChange: { readonly breaker: string; readonly from: CircuitState; readonly to: CircuitState; readonly reason: TransitionReason };
  success: { readonly breaker: string; readonly durationMs: number; readonly slow: boolean };
  failure: { readonly breaker: string; readonly durationMs: number; readonly slow: boolean; readonly outcome: CallOutcome };
  ignored: { readonly breaker: string; readonly durationMs: number; readonly outcome: CallOutcome };
  rejected: { readonly breaker: string; readonly error: BrokenCircuitError };
}
export type BreakerEventName = keyof BreakerEvents;
type Listener<E extends BreakerEventName> = (event: BreakerEvents[E]) => void;

/** Options of one {@link CircuitBreaker.execute} call. */
export interface ExecuteOptions<T> {
  /**
   * The caller's signal, handed to the function. Aborted before the call:
   * rejected with its reason, nothing run. A call that fails because it
   * was aborted is ignored (the caller gave up; the dependency may be fine).
   */
  signal?: AbortSignal;
  /** What to answer instead of a refusal or a failure; its own errors propagate. Default: none (the error propagates). */
  fallback?: (error: unknown) => T | PromiseLike<T>;
}

/** A permission to make one call, from {@link CircuitBreaker.permit}; settle it exactly once. */
export interface CallPermit {
  /** The call succeeded (or: was not a failure by the caller's judgement). */
  success(): void;
  /** The call failed. */
  failure(error?: unknown): void;
  /** The call says nothing about the dependency's health; a half-open trial is given back. */
  ignore(): void;
}

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
const NAMES: readonly CircuitState[] = ['closed', 'open', 'half-open'];
/** What a refused half-open call is told to wait: the trials in flight decide soon. */
const HALF_OPEN_RETRY_MS = 1_000;
/** Result bits beyond FAILED and SLOW: the outcome is ignored. */
const IGNORED = 4;
/** The start time of a call nobody times. */
const UNTIMED = -1;

export class CircuitBreaker {
  readonly name: string;
  readonly #o: ResolvedBreakerOptions;
  readonly #now: () => number;
  readonly #window: SlidingWindow;
  readonly #metrics: BreakerMetrics;
  readonly #listeners: { [E in BreakerEventName]?: Listener<E>[] } = {};
  #state = CLOSED;
  /** Bumped on every transition: a call settles only into the state it started in. */
  #generation = 0;
  #openUntil = 0;
  #trips = 0;
  #isolated = false;
  /** Half-open: trials let through (in flight + recorded), recorded, failed, slow. */
  #taken = 0;
  #trialCalls = 0;
  #trialFailures = 0;
  #trialSlow = 0;
  /** The one timer a breaker may hold: the end of an open period or of a half-open one. */
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #shared: SharedBreakerLink | undefined;
  /** With shared state: the trial lease is being claimed; calls are refused meanwhile. */
  #claiming = false;
  /** Calls are timed: slow calls are judged, or someone listens to call events (which carry durations). */
  #timed: boolean;
  readonly #timeWindow: boolean;

  constructor(options: CircuitBreakerOptions = {}) {
    const o = resolveBreakerOptions(options, 'new CircuitBreaker(options)');
    this.#o = o;
    this.name = o.name;
    this.#now = o.now;
    this.#window = o.window === 'count' ? new CountWindow(o.windowSize) : new TimeWindow(o.windowMs, o.windowBuckets);
    this.#timeWindow = o.window === 'time';
    this.#timed = o.slowCallDurationMs !== Infinity;
    this.#metrics = o.registry === false ? NO_METRICS : breakerMetrics(o.registry, o.prefix, o.name);
    this.#bindHandlers();
    this.#shared = o.shared?.attach({ name: o.name, applyShared: (state, remainingMs) => this.#applyShared(state, remainingMs), version: () => this.#generation });
  }

  /** The current state. An open breaker whose period has elapsed still says `open` until a call (or `autoHalfOpen`) moves it. */
  get state(): CircuitState {
    return NAMES[this.#state]!;
  }

  /**
   * Runs `fn` if the breaker lets the call through, and records how it
   * went. Refused: rejects with a {@link BrokenCircuitError} (or answers
   * the fallback) without calling `fn`.
   *
   * @example
   * const breaker = new CircuitBreaker({ name: 'payments', failureRateThreshold: 50, minimumCalls: 20 });
   * const quote = await breaker.execute((signal) => pricing.quote(order, { signal }), { signal: ctx.signal });
   */
  execute<T>(fn: (signal: AbortSignal | undefined) => T | PromiseLike<T>, options?: ExecuteOptions<T>): Promise<T> {
    let signal: AbortSignal | undefined;
    let fallback: ExecuteOptions<T>['fallback'];
    if (options !== undefined) {
      signal = options.signal;
      fallback = options.fallback;
      if (signal?.aborted === true) return Promise.reject(signal.reason);
    }
    if (this.#state !== CLOSED) {
      const refusal = this.#admit();
      if (refusal !== undefined) return fallback === undefined ? Promise.reject(refusal) : callFallback(fallback, refusal);
    }
    if (signal !== undefined || fallback !== undefined || this.#timed) return this.#executeTracked(fn, signal, fallback);
    // The fast path: no signal, no fallback, no timing. The handlers are made once per state.
    let answer: T | PromiseLike<T>;
    try {
      answer = fn(undefined);
    } catch (error) {
      this.#settle(this.#generation, UNTIMED, false, error, false);
      return Promise.reject(error);
    }
    // One reaction, with handlers made once per state: no closure per call.
    const promise = answer instanceof Promise ? (answer as Promise<T>) : Promise.resolve(answer);
    return promise.then(this.#onValue as (value: T) => T, this.#onError);
  }

  /** execute() with a signal, a fallback or timing: per-call handlers. */
  #executeTracked<T>(fn: (signal: AbortSignal | undefined) => T | PromiseLike<T>, signal: AbortSignal | undefined, fallback: ExecuteOptions<T>['fallback']): Promise<T> {
    const generation = this.#generation;
    const started = this.#timed ? this.#now() : UNTIMED;
    let answer: T | PromiseLike<T>;
    try {
      answer = fn(signal);
    } catch (error) {
      this.#settle(generation, started, false, error, signal?.aborted === true);
      return fallback === undefined ? Promise.reject(error) : callFallback(fallback, error);
    }
    const promise = answer instanceof Promise ? (answer as Promise<T>) : Promise.resolve(answer);
    return promise.then(
      (value) => {
        this.#settle(generation, started, true, value, false);
        return value;
      },
      (error: unknown) => {
        this.#settle(generation, started, false, error, signal?.aborted === true);
        if (fallback === undefined) throw error;
        return fallback(error);
      },
    );
  }

  /** The fast path's handlers, bound to the current state (made by #bindHandlers on each transition). */
  #onValue!: (value: unknown) => unknown;
  #onError!: (error: unknown) => never;

  #bindHandlers(): void {
    const generation = this.#generation;
    const o = this.#o;
    if (this.#state === CLOSED && o.isFailure === undefined && o.isIgnored === undefined && !this.#timeWindow) {
      // The hottest path, a success while closed on a count window: record it in place.
      const window = this.#window;
      const success = this.#metrics.success;
      this.#onValue = (value) => {
        if (generation !== this.#generation || this.#listeners.success !== undefined) {
          this.#settle(generation, UNTIMED, true, value, false);
          return value;
        }
        success.inc();
        window.record(0, 0);
        // Only a window holding failures can have reached a threshold with this success.
        if (window.failures !== 0) this.#judge(0);
        return value;
      };
    } else {
      this.#onValue = (value) => {
        this.#settle(generation, UNTIMED, true, value, false);
        return value;
      };
    }
    this.#onError = (error) => {
      this.#settle(generation, UNTIMED, false, error, false);
      throw error;
    };
  }

  /**
   * The low-level form of {@link execute}, for callers that judge the
   * outcome themselves (a middleware reading the response status): a
   * permit to settle once, or a {@link BrokenCircuitError} thrown.
   */
  permit(): CallPermit {
    if (this.#state !== CLOSED) {
      const refusal = this.#admit();
      if (refusal !== undefined) throw refusal;
    }
    const generation = this.#generation;
    const started = this.#timed ? this.#now() : UNTIMED;
    let settled = false;
    const settle = (ok: boolean, detail: unknown, ignored: boolean): void => {
      if (settled) return;
      settled = true;
      this.#settle(generation, started, ok, detail, ignored);
    };
    return {
      success: () => settle(true, undefined, false),
      failure: (error) => settle(false, error, false),
      ignore: () => settle(true, undefined, true),
    };
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends BreakerEventName>(event: E, listener: Listener<E>): () => void {
    if (typeof listener !== 'function') throw new TypeError(`breaker.on('${event}', listener): listener must be a function`);
    const list = ((this.#listeners as Record<string, Listener<E>[] | undefined>)[event] ??= []);
    list.push(listener);
    this.#retime();
    return () => {
      const at = list.indexOf(listener);
      if (at !== -1) list.splice(at, 1);
      if (list.length === 0) delete (this.#listeners as Record<string, unknown>)[event];
      this.#retime();
    };
  }

  /** Call events carry durations: time calls while anyone listens to them. */
  #retime(): void {
    const l = this.#listeners;
    this.#timed = this.#o.slowCallDurationMs !== Infinity || l.success !== undefined || l.failure !== undefined || l.ignored !== undefined;
  }

  /** Holds the breaker open (every call refused) until {@link reset}: for maintenance, or a dependency known to be down. */
  isolate(): void {
    this.#isolated = true;
    if (this.#state !== OPEN) this.#transition(OPEN, 'manual');
    this.#openUntil = Infinity;
    this.#clearTimer();
  }

  /** Closes the breaker with an empty window and no trips, whatever its state (also ends {@link isolate}). */
  reset(): void {
    this.#isolated = false;
    this.#trips = 0;
    if (this.#state !== CLOSED) this.#transition(CLOSED, 'manual');
    else this.#window.reset();
  }

  /** The breaker's state and figures, JSON-safe. */
  snapshot(): BreakerSnapshot {
    const now = this.#now();
    let calls: number;
    let failures: number;
    let slow: number;
    let judged: boolean;
    if (this.#state === HALF_OPEN) {
      calls = this.#trialCalls;
      failures = this.#trialFailures;
      slow = this.#trialSlow;
      judged = calls > 0;
    } else {
      calls = this.#window.calls(now);
      failures = this.#window.failures;
      slow = this.#window.slow;
      judged = calls >= this.#o.minimumCalls;
    }
    const rate = (n: number): number | null => (judged && calls > 0 ? Math.round((n * 10_000) / calls) / 100 : null);
    return {
      name: this.name,
      state: this.state,
      isolated: this.#isolated,
      calls,
      failureRate: rate(failures),
      slowCallRate: rate(slow),
      trips: this.#trips,
      retryAfterMs: this.#state === OPEN ? (this.#isolated ? null : Math.max(0, Math.ceil(this.#openUntil - now))) : 0,
    };
  }

  /** Clears the breaker's timer and stops sharing its state: call when discarding it. */
  close(): void {
    this.#clearTimer();
    this.#shared?.detach();
  }

  /** Not closed: lets the call through as a trial, or returns why not. */
  #admit(): BrokenCircuitError | undefined {
    if (this.#state === OPEN) {
      const now = this.#now();
      if (this.#isolated || now < this.#openUntil || this.#shared !== undefined) {
        // With shared state, only the timer (and the lease it claims) ends an open period.
        const waitMs = this.#isolated ? Infinity : this.#openUntil > now ? Math.ceil(this.#openUntil - now) : HALF_OPEN_RETRY_MS;
        return this.#refuse(new BrokenCircuitError(this.name, 'open', waitMs));
      }
      this.#transition(HALF_OPEN, 'open-elapsed');
    }
    if (this.#taken < this.#o.halfOpenCalls) {
      this.#taken += 1;
      return undefined;
    }
    return this.#refuse(new BrokenCircuitError(this.name, 'half-open', HALF_OPEN_RETRY_MS));
  }

  #refuse(error: BrokenCircuitError): BrokenCircuitError {
    this.#metrics.rejected.inc();
    this.#emit('rejected', { breaker: this.name, error });
    return error;
  }

  /** Records one finished call into the state it started in, and lets the state machine react. */
  #settle(generation: number, started: number, ok: boolean, detail: unknown, ignored: boolean): void {
    const o = this.#o;
    let now = 0;
    let durationMs = 0;
    let bits = 0;
    if (started !== UNTIMED) {
      now = this.#now();
      durationMs = now - started;
      if (durationMs > o.slowCallDurationMs) bits = SLOW;
    } else if (this.#timeWindow) now = this.#now();
    let outcome: CallOutcome | undefined;
    if (ignored) bits = IGNORED;
    else if (o.isFailure === undefined && o.isIgnored === undefined) {
      if (!ok) bits |= FAILED;
    } else {
      outcome = ok ? { ok: true, value: detail } : { ok: false, error: detail };
      if (o.isIgnored !== undefined && safely(o.isIgnored, outcome, false)) bits = IGNORED;
      else if (o.isFailure === undefined ? !ok : safely(o.isFailure, outcome, !ok)) bits |= FAILED;
    }
    this.#count(bits, durationMs, ok, detail, outcome);
    if (generation !== this.#generation) return;
    if (this.#state === CLOSED) {
      if (bits === IGNORED) return;
      const window = this.#window;
      window.record(bits, now);
      // Nothing failed or was slow in the window: no rate can reach a threshold.
      if (window.failures !== 0 || window.slow !== 0) this.#judge(now);
    } else if (this.#state === HALF_OPEN) {
      if (bits === IGNORED) {
        this.#taken -= 1;
        return;
      }
      this.#trialCalls += 1;
      if ((bits & FAILED) !== 0) this.#trialFailures += 1;
      if ((bits & SLOW) !== 0) this.#trialSlow += 1;
      if (this.#trialCalls < o.halfOpenCalls) return;
      const calls = this.#trialCalls;
      if (this.#trialFailures * 100 >= o.failureRateThreshold * calls || this.#trialSlow * 100 >= o.slowCallRateThreshold * calls) this.#trip('trials-failed');
      else {
        this.#trips = 0;
        this.#transition(CLOSED, 'trials-passed');
        this.#shared?.closed();
      }
    }
  }

  /** Closed: opens the circuit when the window's rates reach a threshold (from minimumCalls). */
  #judge(now: number): void {
    const o = this.#o;
    const window = this.#window;
    const calls = window.calls(now);
    if (calls < o.minimumCalls) return;
    if (window.failures * 100 >= o.failureRateThreshold * calls) this.#trip('failure-rate');
    else if (window.slow * 100 >= o.slowCallRateThreshold * calls) this.#trip('slow-call-rate');
  }

  /** Metrics and events of one finished call. */
  #count(bits: number, durationMs: number, ok: boolean, detail: unknown, outcome: CallOutcome | undefined): void {
    const m = this.#metrics;
    const listeners = this.#listeners;
    if (bits === IGNORED) {
      m.ignored.inc();
      if (listeners.ignored !== undefined) this.#emit('ignored', { breaker: this.name, durationMs, outcome: outcome ?? outcomeOf(ok, detail) });
      return;
    }
    const slow = (bits & SLOW) !== 0;
    if ((bits & FAILED) !== 0) {
      m.failure.inc();
      if (slow) m.slowFailure.inc();
      if (listeners.failure !== undefined) this.#emit('failure', { breaker: this.name, durationMs, slow, outcome: outcome ?? outcomeOf(ok, detail) });
    } else {
      m.success.inc();
      if (slow) m.slowSuccess.inc();
      if (listeners.success !== undefined) this.#emit('success', { breaker: this.name, durationMs, slow });
    }
  }

  /** To open, for the open duration of this trip (growing with repeated trips when configured). */
  #trip(reason: TransitionReason): void {
    const o = this.#o;
    this.#trips += 1;
    const durationMs = Math.min(o.maxOpenDurationMs, o.openDurationMs * o.openDurationMultiplier ** (this.#trips - 1));
    this.#transition(OPEN, reason);
    this.#openFor(durationMs);
    this.#shared?.opened(durationMs);
  }

  #openFor(durationMs: number): void {
    this.#openUntil = this.#now() + durationMs;
    this.#clearTimer();
    if (this.#o.autoHalfOpen || this.#shared !== undefined) this.#arm(durationMs, () => this.#openElapsed());
  }

  /** The timer at the end of an open period (autoHalfOpen, or shared state claiming the trials). */
  #openElapsed(): void {
    if (this.#state !== OPEN || this.#isolated) return;
    const shared = this.#shared;
    if (shared === undefined) {
      this.#transition(HALF_OPEN, 'open-elapsed');
      return;
    }
    if (this.#claiming) return;
    this.#claiming = true;
    const generation = this.#generation;
    const leaseMs = this.#o.maxHalfOpenMs > 0 ? this.#o.maxHalfOpenMs : Math.max(this.#o.openDurationMs, 1_000);
    void shared.claimTrials(leaseMs).then(
      (claim) => this.#claimed(generation, claim, leaseMs),
      () => this.#claimed(generation, 'mine', leaseMs),
    );
  }

  #claimed(generation: number, claim: TrialClaim, leaseMs: number): void {
    this.#claiming = false;
    if (generation !== this.#generation || this.#state !== OPEN || this.#isolated) {
      if (claim === 'mine') this.#shared?.releaseTrials();
      return;
    }
    if (claim === 'mine') this.#transition(HALF_OPEN, 'open-elapsed');
    else if (claim === 'closed') {
      this.#trips = 0;
      this.#transition(CLOSED, 'shared');
    } else if (typeof claim === 'number') {
      // The fleet's period ends later (another instance's trials failed): follow it.
      this.#openUntil = this.#now() + claim;
      this.#arm(claim, () => this.#openElapsed());
    }
    // Another instance runs the trials: ask again when its lease would have run out.
    else this.#arm(leaseMs, () => this.#openElapsed());
  }

  /** What the fleet decided, applied here (shared state). */
  #applyShared(state: SharedVerdict, remainingMs: number): void {
    if (this.#isolated) return;
    if (state === 'none') {
      // No verdict (lost in a restart, evicted): not "closed". An open period still running here is written again, so the others learn of it.
      if (this.#state === OPEN) {
        const leftMs = Math.ceil(this.#openUntil - this.#now());
        if (leftMs > 0) this.#shared?.opened(leftMs);
      }
      return;
    }
    if (state === 'open') {
      if (this.#state === CLOSED) {
        this.#trips += 1;
        this.#transition(OPEN, 'shared');
        this.#openFor(Math.max(0, remainingMs));
      } else if (this.#state === OPEN) {
        // Follow the fleet's period when it ends later than ours (another instance's trials failed).
        const until = this.#now() + remainingMs;
        if (until > this.#openUntil + 1) this.#openFor(remainingMs);
      }
    } else if (this.#state === OPEN) {
      this.#trips = 0;
      this.#transition(CLOSED, 'shared');
    }
  }

  #transition(to: number, reason: TransitionReason): void {
    const from = this.#state;
    this.#state = to;
    this.#generation += 1;
    this.#bindHandlers();
    this.#clearTimer();
    if (to === CLOSED) this.#window.reset();
    else if (to === HALF_OPEN) {
      this.#taken = 0;
      this.#trialCalls = 0;
      this.#trialFailures = 0;
      this.#trialSlow = 0;
      const maxMs = this.#o.maxHalfOpenMs;
      if (maxMs > 0) this.#arm(maxMs, () => this.#state === HALF_OPEN && this.#trip('half-open-timeout'));
    }
    this.#metrics.transition(NAMES[from]!, NAMES[to]!);
    this.#emit('stateChange', { breaker: this.name, from: NAMES[from]!, to: NAMES[to]!, reason });
  }

  #arm(ms: number, run: () => void): void {
    this.#clearTimer();
    const timer = setTimeout(() => {
      this.#timer = undefined;
      run();
    }, ms);
    // A breaker's timer never keeps a process alive.
    timer.unref?.();
    this.#timer = timer;
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #emit<E extends BreakerEventName>(event: E, payload: BreakerEvents[E]): void {
    const list = this.#listeners[event] as Listener<E>[] | undefined;
    if (list === undefined) return;
    for (const listener of [...list]) {
      try {
        listener(payload);
      } catch {
        // A listener that throws must not break the call it observes.
      }
    }
  }
}

function outcomeOf(ok: boolean, detail: unknown): CallOutcome {
  return ok ? { ok: true, value: detail } : { ok: false, error: detail };
}

/** A classifier that throws is not believed: `otherwise` (the call's own outcome) decides. */
function safely(classify: (outcome: CallOutcome) => boolean, outcome: CallOutcome, otherwise: boolean): boolean {
  try {
    return classify(outcome) === true;
  } catch {
    return otherwise;
  }
}

async function callFallback<T>(fallback: (error: unknown) => T | PromiseLike<T>, error: unknown): Promise<T> {
  return fallback(error);
}
