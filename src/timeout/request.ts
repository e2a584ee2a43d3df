/**
 * One request under one `timeout()`: a small state machine that settles
 * the middleware's promise exactly once — with the downstream's outcome when
 * it finishes in time, or with the timeout answer when the deadline passes
 * first — and never leaves a timer behind.
 */
import type { ServerResponse } from 'node:http';
import { type Context, type HttpError, problemInstead, type WardState } from '@ward/core';
import './deadline.js';
import { TimeoutError } from './errors.js';
import type { TimeoutTimers } from './options.js';
import type { DeadlineQueue, Queued } from './queue.js';

/** In `ctx.state`: the deadline a ward `timeout()` enforces (so an inner one need not arm a timer for it). */
export const ENFORCED = Symbol.for('ward.timeout.enforced');
export type GuardedState = WardState & { [ENFORCED]?: number | undefined };

/** Everything a request needs, fixed at factory time and shared by every request of one `timeout()`. */
export interface Shared {
  /** The requests whose deadline is the full budget, in arrival order, under one timer. */
  readonly queue: DeadlineQueue;
  readonly timers: TimeoutTimers | undefined;
  readonly answer: HttpError;
  /** Counts an expiry: `committed` true when the response was already streaming. */
  readonly count: (committed: boolean) => void;
  /** Where this `timeout()` keeps a request on its response, for its one shared close listener. */
  readonly slot: symbol;
}

/** A response with the requests of `timeout()`s on it, each under its {@link Shared.slot}. */
export type HeldResponse = ServerResponse & Record<symbol, RequestDeadline | undefined>;

/** Waiting for the downstream; the deadline is armed. */
const PENDING = 0;
/** The deadline passed; the answer waits one turn of the event loop (see {@link RequestDeadline.fire}). */
const EXPIRING = 1;
/** The response closed first (the client went away): disarmed; still waiting for the downstream. */
const CLOSED = 2;
/** The deadline passed on a response already streaming: left alone; still waiting for the downstream. */
const LEFT = 3;
/** The deadline passed and the timeout answered: the downstream's outcome is late, and dropped. */
const ANSWERED = 4;
/** The downstream's outcome was passed on. */
const SETTLED = 5;
type Phase = typeof PENDING | typeof EXPIRING | typeof CLOSED | typeof LEFT | typeof ANSWERED | typeof SETTLED;

/** One request under one deadline. */
export class RequestDeadline implements Queued {
  readonly deadline: number;
  prev: Queued | undefined = undefined;
  next: Queued | undefined = undefined;
  /** True while in {@link Shared.queue}. */
  queued = false;
  /** Its own timer, for a deadline shorter than the budget (set upstream), which cannot join the queue. */
  timer: unknown = undefined;
  #phase: Phase = PENDING;
  readonly #ctx: Context;
  readonly #shared: Shared;
  readonly #resolve: () => void;
  readonly #reject: (error: unknown) => void;
  readonly #budgetMs: number;
  /** What `ctx.state` held before, put back when the downstream finishes in time. */
  readonly #outer: number | undefined;
  readonly #outerEnforced: number | undefined;

  constructor(
    ctx: Context,
    shared: Shared,
    resolve: () => void,
    reject: (error: unknown) => void,
    deadline: number,
    budgetMs: number,
    outer: number | undefined,
    outerEnforced: number | undefined,
  ) {
    this.#ctx = ctx;
    this.#shared = shared;
    this.#resolve = resolve;
    this.#reject = reject;
    this.deadline = deadline;
    this.#budgetMs = budgetMs;
    this.#outer = outer;
    this.#outerEnforced = outerEnforced;
  }

  /** The downstream resolved. */
  readonly done = (): void => {
    const phase = this.#phase;
    // After the timeout answered, the handler's result is dropped (the adapter drops its output too).
    if (phase === ANSWERED || phase === SETTLED) return;
    this.#finish();
    this.#resolve();
  };

  /** The downstream rejected: passed on unchanged (rule 5), unless the timeout already answered. */
  readonly fail = (error: unknown): void => {
    const phase = this.#phase;
    // Caught here and dropped: a handler failing after the deadline is never an unhandled rejection.
    if (phase === ANSWERED || phase === SETTLED) return;
    this.#finish();
    this.#reject(error);
  };

  /** The response closed: after the timeout answer was written, or because the client went away. */
  close(): void {
    const phase = this.#phase;
    if (phase === ANSWERED) {
      // Only now: a handler reacting to the abort can no longer race the answer.
      this.#ctx.abort(new TimeoutError(this.#budgetMs, this.deadline));
    } else if (phase === PENDING || phase === EXPIRING) {
      // Nobody left to answer, and no timer may outlive the request.
      this.#phase = CLOSED;
      this.#disarm();
    }
  }

  /**
   * The deadline passed. The answer itself waits for the next turn of the
   * event loop: a handler that finished in the same turn as the timer (its
   * continuation is still in the microtask queue) keeps its answer, and no
   * handler continuation can run between the timeout's answer and the
   * adapter writing it — the two would otherwise mix (a 200 body under the
   * problem's headers).
   */
  fire(): void {
    if (this.#phase !== PENDING) return;
    this.timer = undefined;
    this.#phase = EXPIRING;
    setImmediate(expireRequest, this);
  }

  /** The deadline passed and the downstream has not finished: answer, or leave a stream alone. */
  expire(): void {
    if (this.#phase !== EXPIRING) return;
    const ctx = this.#ctx;
    const shared = this.#shared;
    if (ctx.res.committed || ctx.raw.res.headersSent) {
      // Streaming: a second status line cannot be sent, and a long stream (SSE) is not a hung handler.
      this.#phase = LEFT;
      shared.count(true);
      return;
    }
    this.#phase = ANSWERED;
    shared.count(false);
    try {
      problemInstead(ctx, shared.answer);
    } catch (error) {
      // A problem formatter that throws: the adapter's error handling takes it from here.
      this.#reject(error);
      return;
    }
    this.#resolve();
  }

  #finish(): void {
    this.#disarm();
    this.#phase = SETTLED;
    // Settled, the request has nothing left to do at close: the response
    // (which node and loggers may keep) no longer holds it or its context.
    const held = this.#ctx.raw.res as HeldResponse;
    if (held[this.#shared.slot] === this) held[this.#shared.slot] = undefined;
    const state = this.#ctx.state as GuardedState;
    state.deadline = this.#outer;
    state[ENFORCED] = this.#outerEnforced;
  }

  #disarm(): void {
    if (this.queued) {
      this.#shared.queue.remove(this);
      return;
    }
    const timer = this.timer;
    if (timer === undefined) return;
    this.timer = undefined;
    const timers = this.#shared.timers;
    if (timers === undefined) clearTimeout(timer as NodeJS.Timeout);
    else timers.clearTimeout(timer);
  }
}

/** The callback of an own timer (default timers): no closure per request. */
export function fireRequest(request: RequestDeadline): void {
  request.fire();
}

function expireRequest(request: RequestDeadline): void {
  request.expire();
}
