/**
 * `requestId()`: one id per request — reused from a safe incoming header,
 * else fresh — plus the W3C trace the request belongs to, in `ctx.state`, in
 * the response headers, and in an `AsyncLocalStorage` for code without
 * `ctx`. Every problem+json answer carries the id as `request_id` (core's
 * formatter reads `ctx.state.requestId`).
 *
 * Per request: one header read and a char loop over at most 129
 * characters, one generator call when needed, a 55-character char loop for
 * `traceparent`, two small objects, `setHeader`, and `AsyncLocalStorage.run`.
 * Metrics are touched only when an incoming value is refused.
 */
import { type Middleware, defineMiddleware, markFactory } from '@ward/core';
import { wardCounter } from '@ward/metrics';
import { InvalidGeneratedIdError } from './errors.js';
import { isSafeRequestId } from './id.js';
import { type RequestIdOptions, resolveRequestIdOptions } from './options.js';
import { RandomHex } from './random.js';
import { type Trace, type TraceContext, continuedTrace, newTrace, parseTraceparent } from './trace-context.js';
import { RequestScope, storage } from './storage.js';

declare module '@ward/core' {
  interface WardState {
    /**
     * The W3C trace of this request, set by `@ward/request-id` (unless
     * `traceContext: false`): trace id, the caller's span, this hop's span,
     * flags, `tracestate`, and the `traceparent` for outgoing calls.
     */
    trace?: TraceContext;
  }
}

/** The `reason` label values of `ward_request_id_replaced_total`. */
const INVALID_ID = Object.freeze({ reason: 'invalid_id' });
const INVALID_TRACEPARENT = Object.freeze({ reason: 'invalid_traceparent' });

/**
 * Gives every request an id and a W3C trace:
 * - reuses the incoming id header (`X-Request-ID`) only when it is 1–128
 *   characters of `A–Z a–z 0–9 . _ : -`; anything else gets a fresh id
 *   (`crypto.randomUUID()`) and is never echoed;
 * - sets `ctx.state.requestId` (so problem+json bodies carry `request_id`)
 *   and the response header;
 * - continues a valid `traceparent` or starts a new trace:
 *   `ctx.state.traceId`, `ctx.state.trace`, optionally a `traceparent`
 *   response header;
 * - runs the rest of the chain in an `AsyncLocalStorage`, for
 *   {@link getRequestId}, {@link getRequestContext} and
 *   {@link propagationHeaders}.
 *
 * Put it first (after `httpMetrics()`), so that everything after it — and
 * every answer — has the id. A second `requestId()` on the same request
 * keeps the first one's id and trace.
 *
 * @throws TypeError / RangeError at configuration for a bad option.
 * @example
 * import { Engine } from '@ward/engine';
 * import { requestId } from '@ward/request-id';
 *
 * const engine = new Engine();
 * engine.use(requestId());
 * engine.get('/whoami', (ctx) => ctx.json(200, { requestId: ctx.state.requestId, traceId: ctx.state.traceId }));
 */
export function requestId(options?: RequestIdOptions): Middleware {
  const config = resolveRequestIdOptions(options);
  const { header, headerKey, generator, setResponseHeader, trustIncoming, traceContext, echoTraceparent, asyncContext } = config;
  const random = new RandomHex(config.randomFill);
  const replaced = wardCounter(config.registry, {
    prefix: config.prefix,
    name: 'request_id_replaced_total',
    help: 'Incoming X-Request-ID or traceparent values refused as unsafe or invalid and replaced by fresh ones, by reason.',
    labelNames: ['reason'],
  });
  // Both series exist from the start (at 0), so a rate() sees the first refusal.
  replaced.inc(INVALID_ID, 0);
  replaced.inc(INVALID_TRACEPARENT, 0);

  const described = {
    header,
    generator,
    setResponseHeader,
    trustIncoming,
    traceContext,
    echoTraceparent,
    asyncContext,
    randomFill: config.randomFill,
    registry: config.registry,
    prefix: config.prefix,
  };
  // Not `async`: it returns next()'s own promise (or the ALS run of it), one promise fewer per request.
  return defineMiddleware('requestId', described, function requestId(ctx, next) {
    const state = ctx.state;
    // An outer requestId() already ran for this context: its id stands.
    if (state.requestId !== undefined) return next();
    if (asyncContext) {
      // An outer requestId() ran for the same request in another ward chain (nested Express/Fastify chains).
      const outer = storage.getStore();
      if (outer !== undefined && outer.ctx.raw.req === ctx.raw.req) {
        state.requestId = outer.requestId;
        if (outer.trace !== undefined) {
          state.trace = outer.trace;
          state.traceId = outer.trace.traceId;
        }
        return next();
      }
    }

    let id: string | undefined;
    if (trustIncoming) {
      const incoming = ctx.req.headers[headerKey];
      if (incoming !== undefined) {
        // Repeated headers arrive joined with ", ": never a safe id, so they are replaced too.
        if (isSafeRequestId(incoming)) id = incoming;
        else replaced.inc(INVALID_ID);
      }
    }
    if (id === undefined) {
      id = generator(ctx);
      if (!isSafeRequestId(id)) return Promise.reject(new InvalidGeneratedIdError(id));
    }
    state.requestId = id;

    let trace: Trace | undefined;
    if (traceContext) {
      const headers = ctx.req.headers;
      const traceparent = headers.traceparent;
      const parsed = traceparent === undefined ? undefined : parseTraceparent(traceparent);
      if (parsed !== undefined) {
        trace = continuedTrace(parsed, headers.tracestate, random);
      } else {
        // W3C Trace Context §3.2.4 (and §3.3: tracestate goes with it): an invalid traceparent restarts the trace.
        if (traceparent !== undefined) replaced.inc(INVALID_TRACEPARENT);
        trace = newTrace(random);
      }
      state.trace = trace;
      state.traceId = trace.traceId;
    }

    // Before next(): the header is there on every answer, streamed ones and error answers included.
    if (setResponseHeader) ctx.res.setHeader(header, id);
    if (echoTraceparent) ctx.res.setHeader('traceparent', trace!.traceparent);
    if (!asyncContext) return next();
    return storage.run(new RequestScope(id, trace, header, ctx), next);
  });
}
markFactory(requestId);
