/**
 * The end of a request, the same on every adapter that owns the write:
 * after the outermost middleware returns, write what the context holds once;
 * a chain that produced nothing is a 404; an error nobody handled is a
 * problem+json (or, once streaming, a cut connection, since a second status
 * line cannot be sent).
 */
import type { ResponseCapture } from './capture.js';
import type { NodeContext } from './context.js';
import { conventionalStatus, HttpError, isHttpError } from './errors.js';
import { writeResponse } from './response.js';

/** Writes the context's response after the chain resolved. */
export function commitContext(ctx: NodeContext, capture?: ResponseCapture): void {
  if (capture?.streaming) return;
  if (!ctx.res.answered && !ctx.res.committed) {
    ctx.problem(new HttpError(404, { detail: `No route for ${ctx.req.method} ${ctx.req.path}` }));
  }
  if (capture !== undefined) capture.commit();
  else writeResponse(ctx.res, ctx.req.method);
}

/**
 * Answers an error no middleware handled. Returns false when the response
 * was already on the wire and the connection had to be cut instead.
 */
export function answerUnhandled(ctx: NodeContext, error: unknown, capture?: ResponseCapture): boolean {
  const res = ctx.raw.res;
  if (capture?.streaming || ctx.res.committed || res.headersSent) {
    res.destroy();
    return false;
  }
  ctx.problem(error);
  commitContext(ctx, capture);
  return true;
}

/** True for errors worth reporting as crashes: not client errors, not a client that left. */
export function isServerFault(error: unknown): boolean {
  if (isHttpError(error)) return error.status >= 500;
  const status = conventionalStatus(error);
  if (status !== undefined) return status >= 500;
  try {
    return (error as { code?: unknown } | null)?.code !== 'CLIENT_CLOSED';
  } catch {
    // A hostile thrown value (a Proxy whose traps throw) is a fault, not a crash.
    return true;
  }
}
