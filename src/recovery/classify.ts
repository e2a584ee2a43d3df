/**
 * What kind of failure recovery caught, and whether the client had simply
 * gone away (Gin's "broken pipe" case, nginx's 499): then there is nobody to
 * answer and nothing to report as a crash (STANDARDS §8a, §8c).
 */
import type { Context } from '@ward/core';
import { readProperty } from './normalize.js';

/**
 * The `kind` label of `ward_recovery_errors_total` and of reports:
 * - `http_error`: an `HttpError` (it keeps its own status and code);
 * - `error`: any other `Error` (500);
 * - `non_error`: a thrown value that is not an Error (500);
 * - `client_closed`: the client went away; not answered with a 500, not reported.
 */
export type RecoveryKind = 'http_error' | 'error' | 'non_error' | 'client_closed';

/**
 * Error codes that mean "the peer closed the connection" — but only when
 * the client's own connection is gone too: the same ECONNRESET from an
 * outbound call (a database, an upstream API) is a server fault.
 */
const DISCONNECT_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** ward's `ClientClosedError` (the reason `ctx.signal` aborts with when the client leaves). */
const CLIENT_CLOSED = 'CLIENT_CLOSED';

/**
 * True when the failure is the client going away: a `CLIENT_CLOSED` error
 * (also as the `cause` of an `AbortError` raised through `ctx.signal`), or a
 * disconnect code, while this request's connection is in fact gone (or its
 * own signal says its client left).
 */
export function isClientGone(thrown: unknown, ctx: Context): boolean {
  const code = readProperty(thrown, 'code');
  // `await setTimeout(ms, v, { signal: ctx.signal })` and `events.once(…, { signal })` reject with an AbortError whose cause is the signal's reason.
  if (code === CLIENT_CLOSED || readProperty(readProperty(thrown, 'cause'), 'code') === CLIENT_CLOSED) {
    // Only this request's client: another request's CLIENT_CLOSED (a shared
    // upstream call tied to its signal) reaching a client still here is a fault.
    return connectionGone(ctx) || readProperty(ctx.signal.reason, 'code') === CLIENT_CLOSED;
  }
  return typeof code === 'string' && DISCONNECT_CODES.has(code) && connectionGone(ctx);
}

/** True when the client's connection is closed: nothing can be written to it any more. */
export function connectionGone(ctx: Context): boolean {
  const { req, res } = ctx.raw;
  return res.destroyed || req.socket?.destroyed === true;
}
