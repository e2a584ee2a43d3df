/**
 * One ward chain running for one Express request (a "frame").
 *
 * The chain's innermost `next` holds the Express downstream's writes in a
 * core `ResponseCapture` and continues the Express stack; once the chain
 * returns, the frame commits what the context holds (rule 2), or hands an
 * error nobody handled on: to the enclosing ward chain first (rule 5), then
 * to Express's own error handling.
 *
 * Frames of one request form a stack (`frames.get(req)` is the latest;
 * `parent` the enclosing one): ward layers are only ever entered downstream
 * of each other, because a chain that finished never calls Express's `next()`
 * again except with an error, and error flow skips ward.
 */
import type { ServerResponse } from 'node:http';
import {
  type CaptureOptions,
  commitContext,
  type ComposedMiddleware,
  type ContextSettings,
  createContext,
  type Next,
  type NodeContext,
  inspectableError,
  ResponseCapture,
} from '@ward/core';
import type { Request } from 'express';
import type { ExpressNext, ExpressRequest } from './internals.js';

/** What one `ward()` call fixed at configuration time, shared by its requests. */
export interface Runtime {
  readonly chain: ComposedMiddleware;
  readonly settings: ContextSettings;
  readonly capture: CaptureOptions;
  readonly onLateError: ((error: unknown, req: Request) => void) | undefined;
  /** What this layer's frames leave behind once committed. */
  readonly committed: Finished;
}

/**
 * The latest frame started on each request, or what stays of it once it
 * committed ({@link Finished}). A WeakMap, not a property on `req`: Express
 * has swapped the request's prototype (`app.handle`), and V8 then builds a
 * new hidden class for every property added to that object — about 1.3 KB
 * of garbage and a slow path per request and property.
 */
const frames = new WeakMap<ExpressRequest, Frame | Finished>();

/** The chain runs (before or inside `next()`). */
const RUNNING = 0;
/** The chain returned and its answer was written (or held by an enclosing ward chain). */
const COMMITTED = 1;
/** The chain rejected; its error went to the enclosing chain or to Express. */
const HANDED_ON = 2;
type Phase = typeof RUNNING | typeof COMMITTED | typeof HANDED_ON;

const NO_ERROR: unique symbol = Symbol('no error');

/** {@link routeError}: Express should go on with the error as it would without ward. */
export const PASS = 0;
/** {@link routeError}: ward already answered; the error is reported to `onLateError` and dropped. */
export const LATE = 1;

/**
 * What a finished outermost frame leaves in {@link frames}: enough to
 * report a late error or to let its handed-on error pass, and nothing of
 * the request. A committed one is one marker per `ward()` layer, shared by
 * its requests.
 *
 * Why not the frame itself: Express's requests and responses often outlive
 * a young-generation collection (V8 promotes them; Express swaps their
 * prototypes), and a WeakMap entry whose key is in the old generation keeps
 * its value alive through every young collection until the next full one.
 * The frame would drag the chain's whole request graph (context, state,
 * capture, promises) into the old generation with it: that doubled the
 * time Express spent in the garbage collector per request (9 → 20 µs).
 */
export interface Finished {
  readonly phase: typeof COMMITTED | typeof HANDED_ON;
  readonly parent: undefined;
  readonly handedOn: unknown;
  readonly onLateError: Runtime['onLateError'];
}

/** The marker a committed frame of one `ward()` layer leaves. */
export function committedMarker(onLateError: Runtime['onLateError']): Finished {
  return Object.freeze({ phase: COMMITTED, parent: undefined, handedOn: NO_ERROR, onLateError });
}

export class Frame {
  readonly runtime: Runtime;
  readonly ctx: NodeContext;
  readonly req: ExpressRequest;
  /** The enclosing ward chain on this request, if any (only a marker if it already committed). */
  readonly parent: Frame | Finished | undefined;
  /** The innermost `next` of the chain: hold the writes, continue the Express stack. */
  readonly last: Next;
  capture: ResponseCapture | undefined = undefined;
  /**
   * Where an error this chain does not handle continues: the ward layer's
   * own `next` (an error of a ward middleware), or the `next` of the
   * error-catching layer that caught a downstream error.
   */
  resume: ExpressNext;
  phase: Phase = RUNNING;
  /** The error this frame handed on, so catchers further down let it pass. */
  handedOn: unknown = NO_ERROR;
  readonly #next: ExpressNext;

  constructor(runtime: Runtime, req: ExpressRequest, res: ServerResponse, next: ExpressNext) {
    this.runtime = runtime;
    this.req = req;
    this.resume = next;
    this.#next = next;
    const parent = frames.get(req);
    this.parent = parent;
    // A nested ward() layer shares the enclosing chain's state (request id, user…) and signal.
    this.ctx = createContext(req, res, runtime.settings, parent instanceof Frame ? parent.ctx : undefined);
    frames.set(req, this);
    // Bound, not an arrow: an arrow made here closes over `this`, and under
    // Express V8 then keeps the frame's whole request graph alive into the
    // old generation in about half of the processes (measured: 8 → 11 KB
    // promoted per request); a bound function does not.
    this.last = this.#enter.bind(this);
  }

  /** Where a late error of this chain is reported (as on a {@link Finished} marker). */
  get onLateError(): Runtime['onLateError'] {
    return this.runtime.onLateError;
  }

  /** True while the Express downstream runs and has not answered: a downstream error belongs to this chain. */
  get waiting(): boolean {
    const capture = this.capture;
    return capture !== undefined && !capture.settled;
  }

  /** Runs the chain, then commits or hands the error on. Never rejects. */
  async run(): Promise<void> {
    let failed = false;
    let error: unknown;
    try {
      await this.runtime.chain(this.ctx, this.last);
    } catch (thrown) {
      failed = true;
      error = thrown;
    }
    try {
      if (failed) this.#reject(error);
      else this.#commit();
    } catch (bug) {
      broken(bug, this.ctx.raw.res);
    }
  }

  /**
   * A downstream error reached this chain: its `next()` rejects with it; if
   * the chain does not handle it, it continues at `resume`.
   */
  take(error: unknown, resume: ExpressNext): void {
    this.resume = resume;
    const capture = this.capture!;
    // A chain may hold next()'s promise without awaiting it yet: never an unhandled rejection.
    capture.done.then(undefined, ignore);
    capture.fail(error);
  }

  #enter(): Promise<void> {
    const capture = new ResponseCapture(this.ctx, this.runtime.capture).install();
    this.capture = capture;
    try {
      this.#next();
    } catch (error) {
      // Express's own next() does not throw; if a patched one does, it is this chain's downstream error.
      capture.fail(error);
    }
    return capture.done;
  }

  #commit(): void {
    this.phase = COMMITTED;
    try {
      commitContext(this.ctx, this.capture);
      this.#leave(this.runtime.committed);
    } catch (error) {
      this.phase = RUNNING;
      this.#reject(error);
    }
  }

  /**
   * This frame is done: the request's entry in {@link frames} becomes
   * `marker` if it is this frame or a frame nested in it. (An inner frame
   * that finished first has left its own marker: it stays.)
   */
  #leave(marker: Finished): void {
    for (let frame = frames.get(this.req); frame instanceof Frame; frame = frame.parent) {
      if (frame === this) {
        frames.set(this.req, marker);
        return;
      }
    }
  }

  #reject(error: unknown): void {
    this.capture?.release();
    this.phase = HANDED_ON;
    const outer = this.parent;
    if (outer === undefined) {
      // Express's handlers read err.status & co.: a value whose reads throw would hang the request.
      const handed = inspectableError(error);
      this.handedOn = handed;
      this.#leave({ phase: HANDED_ON, parent: undefined, handedOn: handed, onLateError: this.runtime.onLateError });
      this.resume(handed);
      return;
    }
    this.handedOn = error;
    if (outer instanceof Frame && outer.phase === RUNNING && outer.waiting) {
      // Rule 5: the error leaves this chain into the enclosing chain's next().
      outer.take(error, this.resume);
    } else {
      // The enclosing chain already answered (a timeout, say): one response only.
      reportLate(outer, error, this.req);
    }
  }
}

/**
 * Decides where an error that reached one of ward's error-catching layers
 * goes: the ward chain waiting on the downstream that raised it (a
 * {@link Frame}), {@link PASS} (not ward's: Express goes on), or
 * {@link LATE} (ward already answered: dropped and reported).
 */
export function routeError(error: unknown, req: ExpressRequest): Frame | typeof PASS | typeof LATE {
  for (let frame = frames.get(req); frame !== undefined; frame = frame.parent) {
    // Ward had this error and handed it on: Express's error handlers get it now.
    if (frame.handedOn === error) return PASS;
    if (frame.phase === COMMITTED) return late(frame, error, req);
    if (frame.phase === RUNNING) {
      if (frame.waiting) return frame;
      return frame.capture === undefined ? PASS : late(frame, error, req);
    }
    // Handed on another error: look further out.
  }
  return PASS;
}

function late(frame: Frame | Finished, error: unknown, req: ExpressRequest): typeof LATE {
  reportLate(frame, error, req);
  return LATE;
}

function reportLate(frame: Frame | Finished, error: unknown, req: ExpressRequest): void {
  const report = frame.onLateError;
  if (report === undefined) return;
  try {
    report(error, req as unknown as Request);
  } catch {
    // A reporter that throws must not break the answer already given.
  }
}

function ignore(): void {}

/** A defect in the adapter itself: say so, and do not leave the client hanging. */
function broken(bug: unknown, res: ServerResponse): void {
  console.error('[ward] @ward/express failed to finish a request:', bug);
  if (!res.writableFinished) res.destroy();
}
