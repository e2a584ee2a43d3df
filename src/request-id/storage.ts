/**
 * The request's id and trace for code that has no `ctx` at hand (a logger, an
 * HTTP client, a database hook): an `AsyncLocalStorage` the middleware runs
 * the rest of the chain in. Values follow the request through awaits,
 * timers and callbacks started inside it, and are `undefined` outside.
 *
 * One storage per process, kept on `globalThis` under a registered symbol, so
 * two copies of this package (a duplicated install) still see each other's
 * requests.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@ward/core';
import type { TraceContext } from './trace-context.js';

/** What {@link getRequestContext} returns inside a request. */
export interface RequestContext {
  /** The request id (also `ctx.state.requestId` and the response header). */
  readonly requestId: string;
  /** The W3C trace id (also `ctx.state.traceId`); `undefined` with `traceContext: false`. */
  readonly traceId: string | undefined;
  /** The trace (also `ctx.state.trace`); `undefined` with `traceContext: false`. */
  readonly trace: TraceContext | undefined;
  /** The header the id travels in (`X-Request-ID` by default), for calls made on the request's behalf. */
  readonly header: string;
  /** The ward context of the request: state, `signal` (pass it to outgoing calls), request and response. */
  readonly ctx: Context;
}

/** One request's entry in the storage. */
export class RequestScope implements RequestContext {
  readonly requestId: string;
  readonly trace: TraceContext | undefined;
  readonly header: string;
  readonly ctx: Context;

  constructor(requestId: string, trace: TraceContext | undefined, header: string, ctx: Context) {
    this.requestId = requestId;
    this.trace = trace;
    this.header = header;
    this.ctx = ctx;
  }

  get traceId(): string | undefined {
    return this.trace?.traceId;
  }

  /** The ids only: `ctx` (node's request and socket, cyclic) stays out of logs that serialise this. */
  toJSON(): Record<string, unknown> {
    return { requestId: this.requestId, traceId: this.traceId, trace: this.trace };
  }
}

const STORAGE = Symbol.for('ward.request-id.storage');

/** @internal The storage every copy of this package shares. */
export const storage: AsyncLocalStorage<RequestContext> = ((globalThis as Record<symbol, unknown>)[STORAGE] ??=
  new AsyncLocalStorage<RequestContext>()) as AsyncLocalStorage<RequestContext>;

/**
 * The id of the request the calling code runs for, or `undefined` outside a
 * request (or when `requestId({ asyncContext: false })` handled it).
 *
 * @example
 * import { getRequestId } from '@ward/request-id';
 *
 * export function audit(event: string): void {
 *   process.stdout.write(`${JSON.stringify({ event, request_id: getRequestId() })}\n`);
 * }
 */
export function getRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/**
 * The id, trace and ward context of the request the calling code runs for,
 * or `undefined` outside a request.
 *
 * @example
 * const scope = getRequestContext();
 * if (scope !== undefined) logger.info({ request_id: scope.requestId, trace_id: scope.traceId }, 'cache miss');
 */
export function getRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Headers that carry the current request's id and trace to a call made on
 * its behalf: the id header (`X-Request-ID` by default), `traceparent` with
 * this hop's span as the parent, and `tracestate` when the caller sent a
 * valid one. An empty object outside a request. A new object each call.
 *
 * @example
 * const res = await fetch('http://inventory.internal/items', {
 *   headers: { accept: 'application/json', ...propagationHeaders() },
 *   signal: getRequestContext()?.ctx.signal,
 * });
 */
export function propagationHeaders(): Record<string, string> {
  const scope = storage.getStore();
  if (scope === undefined) return {};
  const headers: Record<string, string> = { [scope.header.toLowerCase()]: scope.requestId };
  const trace = scope.trace;
  if (trace !== undefined) {
    headers.traceparent = trace.traceparent;
    if (trace.tracestate !== undefined) headers.tracestate = trace.tracestate;
  }
  return headers;
}
