/**
 * The end of a request, the same on every adapter that owns the write:
 * after the outermost middleware returns, write what the context holds once;
 * a chain that produced nothing is a 404; an error nobody handled is a
 * problem+json (or, once streaming, a cut connection, since a second status
 * line cannot be sent).
 */
import type { ResponseCapture } from './capture.js';
import type { NodeContext } from './context.js';
import type { Context } from './types.js';
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
  problemInstead(ctx, error);
  commitContext(ctx, capture);
  return true;
}

/**
 * Headers that describe the body the downstream was producing. They would
 * be false on a problem+json answered in its place (a `Content-Encoding:
 * gzip` on plain JSON breaks the client; an `ETag` would name another
 * body); headers set by other middleware (CORS, request id, cookies) stay.
 */
const REPRESENTATION_HEADERS = [
  'content-encoding',
  'content-language',
  'content-location',
  'content-range',
  'content-disposition',
  'etag',
  'last-modified',
  'location',
] as const;

/**
 * Answers `error` as a problem in place of what the downstream was
 * producing (a failure, a deadline): its representation headers out, the
 * problem in. Used by the adapters' unhandled-error answer, recovery() and
 * timeout().
 */
export function problemInstead(ctx: Context, error: unknown): void {
  dropRepresentationHeaders(ctx);
  ctx.problem(error);
}

/** Removes the headers that described the downstream's body (before another answer takes its place). */
export function dropRepresentationHeaders(ctx: Context): void {
  const res = ctx.res;
  for (const name of REPRESENTATION_HEADERS) if (res.hasHeader(name)) res.removeHeader(name);
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
