/**
 * Route handlers guarded by ward (those registered after the plugin, in its
 * context: an `onRoute` hook) are wrapped so that their errors reach the
 * onion (rule 5): Fastify sends handler errors to its error handler, never
 * to hooks. A thrown or rejected error rejects `next()`; if a ward middleware
 * answers, that answer is sent; if the chain rethrows, the wrapper rethrows
 * and Fastify's error handler runs exactly as it would without ward.
 *
 * The wrapper keeps the handler's shape: a sync handler that calls
 * `reply.send`, an async handler returning a value, `this` (the Fastify
 * instance) and `reply.send` from inside all behave as before. After ward
 * answered on its own, a late return value or error is dropped silently.
 */
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { type GuardedRequest, RUN } from './context.js';
import type { Run } from './run.js';

const WRAPPED = Symbol('ward.fastify.wrapped');

type Handler = (this: unknown, request: FastifyRequest, reply: FastifyReply) => unknown;

/** `onRoute`: wraps the route's handler once (nested ward plugins share one wrapper). */
export function guardRoute(routeOptions: RouteOptions): void {
  const handler = routeOptions.handler as Handler & { [WRAPPED]?: true };
  if (typeof handler !== 'function' || handler[WRAPPED] === true) return;
  routeOptions.handler = wrapHandler(handler) as RouteOptions['handler'];
}

function wrapHandler(handler: Handler): Handler {
  function wardRoute(this: unknown, request: FastifyRequest, reply: FastifyReply): unknown {
    const guarded = request as GuardedRequest;
    const run = guarded[RUN];
    if (run === undefined) return handler.call(this, request, reply);
    // Ward already answered (a deadline passed while Fastify read the body): the handler does not run.
    if (run.root.dropping) return undefined;
    let result: unknown;
    try {
      result = handler.call(this, request, reply);
    } catch (error) {
      return routeFailed(guarded, reply, error);
    }
    if (isThenable(result)) return settleRoute(result, guarded, reply);
    // Written to reply.raw: ended (sent), or still streaming across turns (headers out).
    if (reply.sent || reply.raw.headersSent) wroteDirectly(guarded);
    return result;
  }
  Object.defineProperty(wardRoute, WRAPPED, { value: true });
  Object.defineProperty(wardRoute, 'name', { value: handler.name || 'wardRoute' });
  return wardRoute;
}

/** Waits for an async handler: no closures per request. */
async function settleRoute(result: PromiseLike<unknown>, request: GuardedRequest, reply: FastifyReply): Promise<unknown> {
  let value: unknown;
  try {
    value = await result;
  } catch (error) {
    return routeFailed(request, reply, error);
  }
  return routeSettled(request, reply, value);
}

/** The run waiting for the route's answer (runs that let the downstream go are skipped). */
function receiving(request: GuardedRequest): Run | undefined {
  let run = request[RUN];
  while (run !== undefined && run.phase === 'released') run = run.parent;
  return run;
}

function routeSettled(request: GuardedRequest, reply: FastifyReply, value: unknown): unknown {
  const run = receiving(request);
  if (run === undefined) return value;
  if (run.root.dropping) return undefined; // ward answered: the late value goes nowhere
  if (value !== undefined) return value;
  // Headers out while ward still waits for the downstream: the handler writes reply.raw across turns.
  if (reply.sent || (run.phase === 'downstream' && reply.raw.headersSent)) {
    wroteDirectly(request);
    return undefined;
  }
  // The handler called reply.send and ward holds that answer: Fastify must wait
  // for it (as with `return reply`), not send an empty one in its place.
  if (run.phase !== 'downstream') return reply;
  return undefined;
}

function routeFailed(request: GuardedRequest, reply: FastifyReply, error: unknown): unknown {
  const run = receiving(request);
  if (run === undefined) throw error;
  if (run.root.dropping) return undefined; // ward answered: the late error goes nowhere
  if (run.phase !== 'downstream') {
    // The handler answered, then failed: as Fastify does for a reply already sent, log and keep the answer.
    reply.log.error({ err: error }, 'ward: the route handler failed after it had answered');
    return reply;
  }
  return run.failDownstream(error);
}

/** A hijacked reply, or a handler that wrote to `reply.raw` itself: committed, passed through. */
function wroteDirectly(request: GuardedRequest): void {
  const run = receiving(request);
  if (run !== undefined && run.phase === 'downstream') run.streamed();
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
