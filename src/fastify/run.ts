/**
 * One run of a ward chain on one Fastify request: the state machine that
 * keeps DESIGN.md's rules on Fastify's lifecycle.
 *
 * - The start hook runs the chain; `next()` lets Fastify continue and
 *   returns a promise that settles when the downstream has answered.
 * - The route's answer is held in `onSend` (deferred commit, rule 2): its
 *   payload goes into `ctx.res` (its headers are already visible there, see
 *   response.ts), the chain resumes after `next()`, and what the context
 *   holds then goes out.
 * - A chain that answers on its own sends through `reply.send`; whatever
 *   the route produces later is dropped silently (rule 4).
 * - A route error rejects `next()` (rule 5); an error nobody handles goes
 *   to Fastify's own error handling, exactly as without ward.
 *
 * Ward plugins nest (one at the root, one under `/api`): each start hook
 * makes a run whose parent is the run already on the request, and a run
 * delivers its outcome to its parent instead of to Fastify, so the onion
 * order holds across plugins. Request-wide state lives on the root run.
 */
import type { FastifyReply } from 'fastify';
import { type ComposedMiddleware, type ContextSettings, dropRepresentationHeaders, HttpError, inspectableError, type ResponseBody } from '@ward/core';
import { readBodyAhead } from './body-peek.js';
import { FastifyContext, type GuardedRequest, RUN } from './context.js';

/** A hook's continuation: `done(error)` or, in `preParsing`, `done(error, payload)`. */
export type Continue = (error?: unknown, payload?: unknown) => void;

type Send = (payload?: unknown) => FastifyReply;

/**
 * - `chain`: the chain runs; Fastify waits in the start hook.
 * - `downstream`: `next()` was called; Fastify (or an inner run) is answering.
 * - `held`: the downstream's answer is held in `ctx`; the chain runs its code after `next()`.
 * - `streaming`: the downstream streamed; the response is committed and passes through.
 * - `released`: the chain finished without waiting for `next()` and without answering; the downstream's answer passes.
 * - `done`: nothing more to do.
 */
type Phase = 'chain' | 'downstream' | 'held' | 'streaming' | 'released' | 'done';

interface Waiter {
  promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Options fixed per plugin and passed to every run. */
export interface RunSettings {
  readonly context: ContextSettings;
  readonly chain: ComposedMiddleware;
  /** True when the chain starts before Fastify reads the body (`onRequest`, `preParsing`). */
  readonly beforeParsing: boolean;
}

export class Run {
  readonly request: GuardedRequest;
  readonly reply: FastifyReply;
  readonly parent: Run | undefined;
  readonly root: Run;
  readonly ctx: FastifyContext;
  phase: Phase = 'chain';
  readonly #settings: RunSettings;
  #resolve: (() => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;
  /** The downstream failed: `next()` rejected, nothing more will come from it. */
  #downstreamFailed = false;
  /** In `preParsing`, the payload stream Fastify will read (another hook may have replaced `request.raw`). */
  #payload: unknown;

  // Request-wide state, used on the root run only.
  /** The start hook's continuation while a chain runs before `next()`. */
  lifecycle: Continue | undefined;
  /** Fastify's `onSend` continuation for the held answer. */
  sendDone: ((error: unknown, payload?: unknown) => void) | undefined;
  /** The held payload was empty (`undefined`/`null`). */
  heldEmpty = false;
  /** The wrapped route handler, waiting for the verdict on its error (rare: set when it is needed). */
  declare routeWaiter: Waiter | undefined;
  /** An answer of ward's own (or Fastify's error answer after a hand-off) is on its way through `onSend`. */
  answering = false;
  /** Ward's own answer has gone through `reply.send` while dropping: any later send is late output. */
  answerSent = false;
  /** Ward answered while the downstream still ran: what it produces later is dropped. */
  dropping = false;
  /** Ward's own answer has a body but no `content-type`: do not let Fastify guess one. */
  stripType = false;
  /** The request body, read by `ctx.req.body()` before Fastify's parser ran (rare: set when it is needed). */
  declare parsedBody: Promise<unknown> | undefined;
  /** `reply.send` before it was replaced to drop late output (rare: set when it is needed). */
  declare originalSend: Send | undefined;

  constructor(request: GuardedRequest, reply: FastifyReply, parent: Run | undefined, settings: RunSettings) {
    this.request = request;
    this.reply = reply;
    this.parent = parent;
    this.root = parent === undefined ? this : parent.root;
    this.#settings = settings;
    this.ctx = new FastifyContext(this, settings.context);
  }

  /** Runs the chain; `done` is the start hook's continuation, `payload` the stream a `preParsing` hook got. */
  start(done: Continue, payload?: unknown): void {
    this.#payload = payload;
    this.root.lifecycle = done;
    this.#settings.chain(this.ctx, this.next).then(this.#chainResolved, this.#chainRejected);
  }

  /** The chain's `next()`: Fastify continues; settles when the downstream answered. */
  readonly next = (): Promise<void> => {
    const root = this.root;
    const done = root.lifecycle;
    // Ward already answered (a late next() from a timer): the downstream must not run.
    if (this.phase !== 'chain' || done === undefined) return Promise.resolve();
    this.phase = 'downstream';
    root.lifecycle = undefined;
    const promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    try {
      done();
    } catch (error) {
      this.#fail(error);
    }
    return promise;
  };

  /** `ctx.req.body()`: Fastify's `request.body`, or read ahead of Fastify's parser, which still gets every byte. */
  readBody(): Promise<unknown> {
    if (!this.#settings.beforeParsing || this.phase !== 'chain') return Promise.resolve(this.request.body);
    const root = this.root;
    if (root.parsedBody === undefined) {
      const raw = this.request.raw;
      root.parsedBody =
        this.#payload === undefined || this.#payload === raw
          ? readBodyAhead(raw, this.ctx.settings.body)
          : Promise.reject(
              new Error(
                "ward: ctx.req.body() before next() in hook 'preParsing' cannot read a body another preParsing hook " +
                  "has already taken over; start the chain in 'onRequest' (before it) or 'preValidation' (after parsing).",
              ),
            );
    }
    return root.parsedBody;
  }

  /**
   * The downstream's answer reached `onSend` (the route's payload, or
   * Fastify's own 404/400 answer). Holds it and resumes the chain.
   */
  hold(payload: unknown, done: (error: unknown, payload?: unknown) => void): void {
    let body: ResponseBody | undefined;
    if (payload === undefined || payload === null) {
      body = undefined;
    } else if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
      body = payload;
    } else {
      // A stream, a web stream, a Response: headers go out as they are, bytes pass through (rule 3).
      this.streamed(payload);
      done(null, payload);
      return;
    }
    const root = this.root;
    root.sendDone = done;
    root.heldEmpty = body === undefined;
    this.ctx.res.captureBody(body);
    this.phase = 'held';
    this.#resolve!();
  }

  /**
   * The response is on the wire (a stream payload, a hijacked reply, a route
   * that wrote to `reply.raw`): this run and the runs around it are
   * committed; `next()` resolves when the response closes, or rejects with
   * the error of a payload stream that failed on the server's side.
   */
  streamed(payload?: unknown): void {
    for (let run: Run | undefined = this; run !== undefined; run = run.#enclosing()) {
      if (run.phase !== 'downstream') break;
      run.ctx.res.markAnswered();
      run.ctx.res.markCommitted();
      run.phase = 'streaming';
    }
    const raw = this.reply.raw;
    if (raw.destroyed) {
      this.#resolve!();
      return;
    }
    if (!isEventEmitter(payload)) {
      raw.once('close', this.#resolve!);
      return;
    }
    // A payload stream that fails on the server's side (before the response
    // closed; a client that left closes it first) rejects next() with its
    // error (rule 5), after Fastify has cut the connection.
    let failure: { readonly error: unknown } | undefined;
    payload.once('error', (error: unknown) => {
      if (!raw.destroyed && !raw.writableFinished) failure ??= { error };
    });
    raw.once('close', () => {
      if (failure === undefined) this.#resolve!();
      else this.#reject!(failure.error);
    });
  }

  /**
   * The wrapped route handler threw or rejected: `next()` rejects with the
   * error. The returned promise resolves with the reply when a ward
   * middleware answered, or rejects with what the chain rethrew (and Fastify's
   * error handler takes it from there).
   */
  failDownstream(error: unknown): Promise<unknown> {
    const waiter = createWaiter();
    this.root.routeWaiter = waiter;
    this.#fail(error);
    return waiter.promise;
  }

  #fail(error: unknown): void {
    this.#downstreamFailed = true;
    this.#reject!(error);
  }

  /** The nearest run around this one still waiting on its `next()`. */
  #enclosing(): Run | undefined {
    let run = this.parent;
    while (run !== undefined && run.phase === 'released') run = run.parent;
    return run;
  }

  readonly #chainResolved = (): void => {
    try {
      this.#resolved();
    } catch (error) {
      this.#unsendable(error);
    }
  };

  readonly #chainRejected = (error: unknown): void => {
    try {
      this.#rejected(error);
    } catch (failure) {
      this.#unsendable(failure);
    }
  };

  #resolved(): void {
    switch (this.phase) {
      case 'chain':
        // next() never called: the chain answered on its own, or nobody answered (404, as on every adapter).
        if (!this.ctx.res.answered) this.#notFound();
        this.#finish();
        return;
      case 'downstream':
        if (this.ctx.res.answered) {
          // Answered while the downstream still runs (a timeout): its later output is dropped.
          if (!this.#downstreamFailed) this.#startDropping();
          this.#finish();
        } else if (this.#downstreamFailed) {
          // The route failed and a middleware swallowed the error without answering.
          this.#notFound();
          this.#finish();
        } else {
          this.phase = 'released';
        }
        return;
      case 'held':
        this.#finish();
        return;
      case 'streaming': {
        this.phase = 'done';
        const enclosing = this.#enclosing();
        if (enclosing?.phase === 'streaming') enclosing.#resolve!();
        return;
      }
      default:
        return;
    }
  }

  #rejected(error: unknown): void {
    const phase = this.phase;
    this.phase = 'done';
    const enclosing = this.#enclosing();
    if (phase === 'streaming') {
      if (enclosing?.phase === 'streaming') {
        enclosing.#reject!(error);
        return;
      }
      // A second status line cannot be sent: cut the connection, and report it where Fastify reports.
      this.reply.log.error({ err: error }, 'ward: a middleware failed after the response was committed; connection closed');
      this.reply.raw.destroy();
      return;
    }
    if (phase === 'downstream' && !this.#downstreamFailed) this.#startDropping();
    if (enclosing !== undefined) {
      if (enclosing.phase === 'downstream') enclosing.#fail(error);
      return;
    }
    this.#handOff(error);
  }

  /**
   * Sending threw (Fastify validates headers only at writeHead). This runs in
   * a promise callback, where a throw would be an unhandled rejection: hand
   * the error to Fastify's error handling, or cut the connection.
   */
  #unsendable(error: unknown): void {
    const reply = this.reply;
    this.phase = 'done';
    if (!reply.raw.headersSent) {
      try {
        this.root.answering = true;
        reply.send(asError(inspectableError(error)));
        return;
      } catch {
        // Fastify cannot send it either: fall through to cutting the connection.
      }
    }
    reply.log.error({ err: error }, 'ward: the answer could not be sent; connection closed');
    reply.raw.destroy();
  }

  /** This run's answer is final: to the enclosing run, or out through Fastify. */
  #finish(): void {
    this.phase = 'done';
    const enclosing = this.#enclosing();
    if (enclosing !== undefined) {
      if (enclosing.phase !== 'downstream') return;
      enclosing.ctx.res.captureBody(this.ctx.res.body);
      enclosing.phase = 'held';
      enclosing.#resolve!();
      return;
    }
    const root = this.root;
    const send = root.sendDone;
    if (send === undefined) {
      this.#sendOwn();
      return;
    }
    root.sendDone = undefined;
    const body = this.ctx.res.body;
    if (body === undefined) {
      // undefined keeps the held empty payload; null replaces a body a
      // middleware removed — and is what a 304 or 204 must carry: Fastify
      // gives a string payload, even '', a Content-Length (RFC 9110 §8.6).
      const status = this.reply.raw.statusCode;
      send(null, root.heldEmpty && status !== 304 && status !== 204 ? undefined : null);
      return;
    }
    // Fastify computes Content-Length from the payload it writes; a whole
    // payload is never also chunked (RFC 9112 §6.1: not both framings).
    this.reply.removeHeader('content-length');
    this.reply.removeHeader('transfer-encoding');
    const payload = typeof body === 'string' ? body : toBuffer(body);
    try {
      send(null, payload);
    } catch (error) {
      // As Fastify does when an async onSend hook's continuation throws: its error handling.
      send(error);
    }
  }

  /** Ward's own answer: sent with `reply.send`, marked so `onSend` passes it untouched. */
  #sendOwn(): void {
    const root = this.root;
    const reply = this.reply;
    const body = this.ctx.res.body;
    if (body !== undefined) {
      reply.removeHeader('content-length');
      reply.removeHeader('transfer-encoding');
    }
    root.stripType = body !== undefined && !reply.hasHeader('content-type');
    root.answering = true;
    const waiter = root.routeWaiter;
    root.routeWaiter = undefined;
    root.lifecycle = undefined; // a start hook that answered never continues
    // A Buffer keeps the content-type as set: Fastify adds a charset to strings of a type without one.
    // A string whose type already names its charset goes as it is: node then writes it with the head, in one write.
    reply.send(body === undefined ? undefined : typeof body === 'string' && CHARSET.test(String(reply.getHeader('content-type') ?? '')) ? body : toBuffer(body));
    // The wrapped handler returns the reply: Fastify waits for it instead of sending again.
    waiter?.resolve(reply);
  }

  /** An error no ward middleware handled: to Fastify's error handling, by the path it came from. */
  #handOff(thrown: unknown): void {
    // Fastify's error handling reads error.statusCode & co.: a value whose reads throw would hang the request.
    const error = inspectableError(thrown);
    const root = this.root;
    const reply = this.reply;
    // What described the failed body is false on Fastify's error answer (Express's finalhandler drops it too).
    if (!reply.raw.headersSent) dropRepresentationHeaders(this.ctx);
    // Fastify's error answer must pass onSend and a replaced reply.send.
    root.answering = true;
    root.stripType = false;
    const waiter = root.routeWaiter;
    if (waiter !== undefined) {
      // The wrapped handler rethrows it: Fastify handles it as a handler error.
      root.routeWaiter = undefined;
      waiter.reject(error);
      return;
    }
    const send = root.sendDone;
    if (send !== undefined) {
      root.sendDone = undefined;
      send(error);
      return;
    }
    const done = root.lifecycle;
    if (done !== undefined) {
      root.lifecycle = undefined;
      done(error);
      return;
    }
    // Fastify is still busy with the request (reading the body, a hook, the handler).
    reply.send(asError(error));
  }

  #notFound(): void {
    const req = this.ctx.req;
    this.ctx.problem(new HttpError(404, { detail: `No route for ${req.method} ${req.path}` }));
  }

  /** From now on the route's output goes nowhere, and quietly (rule 4). */
  #startDropping(): void {
    const root = this.root;
    if (root.dropping) return;
    root.dropping = true;
    const reply = root.reply as unknown as { send: Send };
    root.originalSend = reply.send;
    // Only this reply: a late `reply.send` would otherwise log "Reply was already sent".
    reply.send = sendAfterWard;
  }
}

/** `reply.send` of a reply ward has answered: ward's and Fastify's error answers pass, the route's are dropped. */
function sendAfterWard(this: FastifyReply, payload?: unknown): FastifyReply {
  const root = (this.request as GuardedRequest)[RUN]?.root;
  // Exactly one send passes: ward's own answer. Everything after it is late output.
  if (root?.answering === true && !root.answerSent && root.originalSend !== undefined) {
    root.answerSent = true;
    return root.originalSend.call(this, payload);
  }
  return this;
}

/** A content type that names its charset (Fastify leaves it alone for a string payload). */
const CHARSET = /;\s*charset=/i;

function toBuffer(body: ResponseBody): Buffer {
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function createWaiter(): Waiter {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<unknown>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function noop(): void {}

/** `reply.send` needs an Error to treat a value as a failure. */
function asError(error: unknown): Error {
  if (error instanceof Error) return error;
  let text: string;
  try {
    text = String(error);
  } catch {
    text = 'a thrown value that cannot be turned into text';
  }
  return new Error(text, { cause: error });
}

function isEventEmitter(value: unknown): value is { once(event: 'error', listener: (error: unknown) => void): unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { once?: unknown }).once === 'function';
}
