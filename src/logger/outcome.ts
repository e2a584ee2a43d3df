/**
 * How a request ended, read from the context after `next()` settled: the
 * status the client gets, the body size, whether the connection closed
 * first, and a summary of an error that rejected `next()`. Shared by the
 * access and audit logs; nothing here allocates on the common path.
 */
import { answeredStatus, type Context, isHttpError } from '@ward/core';
import { safeText } from './sanitize.js';
import type { ErrorSummary } from './types.js';

/** nginx's status for "the client closed the connection before the answer". */
export const CLIENT_CLOSED_STATUS = 499;

/** Stacks are cut here (Echo's `StackSize` default is 4 KB). */
const MAX_STACK_CHARS = 4096;

/** True when the connection closed before the response was complete. */
export function connectionAborted(ctx: Context): boolean {
  const raw = ctx.raw.res;
  return raw.destroyed && !raw.writableFinished;
}

/**
 * The status after `next()` resolved: what the chain decided; the 404 the
 * adapter sends when nothing answered; 499 when the client left before
 * anything was written.
 */
export function decidedStatus(ctx: Context, aborted: boolean): number {
  const res = ctx.res;
  if (aborted && !res.committed) return CLIENT_CLOSED_STATUS;
  return res.answered || res.committed ? res.status : 404;
}

/**
 * The status the client gets for an error that rejected `next()` and went
 * up to whoever answers it: an `HttpError`'s status; a client that left is
 * 499; then, where ward answers (engine, node), core's rule (an `Error`
 * with a 4xx/5xx `status`, else `statusCode`); where the framework answers
 * (Express's finalhandler, Fastify), any object carrying a 4xx/5xx `status`
 * or `statusCode` gets it; anything else 500.
 */
export function errorStatus(error: unknown, adapter: string): number {
  if (typeof error !== 'object' || error === null) return 500;
  try {
    if (!isHttpError(error) && (error as { code?: unknown }).code === 'CLIENT_CLOSED') return CLIENT_CLOSED_STATUS;
  } catch {
    // A hostile getter: the error is still a 500.
    return 500;
  }
  return answeredStatus(error, adapter);
}

/**
 * The response body's size in bytes: 0 for HEAD, bodiless statuses and a
 * client that left before anything was written; the buffered body's
 * length; else a valid `Content-Length`; `null` when not known (a stream
 * without a length; the adapter's own 404 after a chain that answered
 * nothing).
 */
export function responseBytes(ctx: Context, status: number, aborted: boolean): number | null {
  const res = ctx.res;
  if (ctx.req.method === 'HEAD' || status === 204 || status === 304 || status < 200 || (aborted && !res.committed)) return 0;
  if (!res.committed) {
    const body = res.body;
    if (typeof body === 'string') return Buffer.byteLength(body);
    if (body instanceof Uint8Array) return body.byteLength;
  }
  const length = contentLength(res.getHeader('content-length'));
  if (length !== null) return length;
  if (res.committed || !res.answered) return null;
  // Answered without a body: the adapter sends `Content-Length: 0`.
  return 0;
}

function contentLength(value: string | number | string[] | undefined): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return null;
}

/** A summary of what rejected `next()`; never throws, whatever was thrown. */
export function summarizeError(error: unknown, details: boolean, maxChars: number): ErrorSummary {
  if (typeof error !== 'object' || error === null) {
    const summary: ErrorSummary = { name: error === null ? 'null' : typeof error, code: null };
    if (details) {
      summary.message = typeof error === 'string' ? safeText(error, maxChars) : null;
      summary.stack = null;
    }
    return summary;
  }
  try {
    const e = error as { name?: unknown; code?: unknown; message?: unknown; stack?: unknown };
    const name = e.name;
    const code = e.code;
    const summary: ErrorSummary = {
      name: typeof name === 'string' ? safeText(name, 128) : 'Object',
      code: typeof code === 'string' ? safeText(code, 128) : typeof code === 'number' ? String(code) : null,
    };
    if (details) {
      summary.message = typeof e.message === 'string' ? safeText(e.message, maxChars) : null;
      summary.stack = typeof e.stack === 'string' ? safeText(e.stack, MAX_STACK_CHARS) : null;
    }
    return summary;
  } catch {
    // A Proxy or a throwing getter: say so, without details.
    return { name: 'unreadable', code: null };
  }
}
