/**
 * `recovery()`: panic-style recovery, like Gin's `Recovery`. Whatever the
 * downstream throws or rejects with becomes one answer — a problem+json 500
 * (an `HttpError` keeps its own status, code and headers) — and, for server
 * faults, one report to the `onError` hooks. Once the response is streaming
 * it cannot become a 500: the connection is cut instead (finalhandler, Go's
 * net/http). A client that went away gets neither a 500 nor a report.
 *
 * The request path is `next()` with one rejection handler; everything else happens
 * only when something failed.
 */
import { type Context, HttpError, type Middleware, type Next, PROBLEM_CONTENT_TYPE, defineMiddleware, markFactory, problemInstead } from '@ward/core';
import { wardCounter } from '@ward/metrics';
import type { Counter } from 'prom-client';
import { type RecoveryKind, isClientGone } from './classify.js';
import { asHttpError, isErrorValue, toError } from './normalize.js';
import { type RecoveryOptions, type RecoverySettings, resolveRecoveryOptions } from './options.js';
import { type Outcome, requestReport } from './report.js';
import { dispatch } from './reporters.js';

declare module '@ward/core' {
  interface WardState {
    /**
     * The failure `@ward/recovery` answered (the thrown Error, or a
     * `ThrownValueError` wrapping a non-Error), for middleware outside it
     * such as an access logger. Not set for a client that went away.
     */
    recoveredError?: Error;
  }
}

/** The answer to a client that went away: nginx's 499, written to nobody, seen by outer middleware and logs. */
const CLIENT_CLOSED_ANSWER = new HttpError(499, { code: 'CLIENT_CLOSED', title: 'Client Closed Request' });

const KINDS: readonly RecoveryKind[] = ['http_error', 'error', 'non_error', 'client_closed'];

/**
 * Catches anything the rest of the chain throws or rejects with and answers
 * it as problem+json: an `HttpError` with its own status, code and headers;
 * anything else (Errors, strings, `null`, objects, Symbols…) as
 * `500 INTERNAL_ERROR`, with no message or stack unless the adapter's
 * `development` option is on. Server faults are reported to `onError`.
 *
 * Put it early — after `httpMetrics`, `requestId` and the logger, before
 * everything that can fail — so its answer carries the request id and passes
 * through the headers middleware.
 *
 * @example
 * engine.use(requestId(), recovery({ onError: (report) => Sentry.captureException(report.error) }));
 */
export function recovery(options?: RecoveryOptions): Middleware {
  const settings = resolveRecoveryOptions(options);
  const { registry, prefix } = settings.metrics;
  const errors: Counter<'kind'> = wardCounter(registry, {
    prefix,
    name: 'recovery_errors_total',
    help: 'Failures caught by the recovery middleware, by kind (http_error, error, non_error, client_closed).',
    labelNames: ['kind'] as const,
  });
  const reporterFailures: Counter = wardCounter(registry, {
    prefix,
    name: 'recovery_reporter_failures_total',
    help: 'Recovery onError hooks that threw or rejected.',
  });
  // One child per kind, made now: the failure path does no label lookups, and
  // every series exists from the start at 0 (so rate() sees the first failure).
  const byKind = Object.fromEntries(
    KINDS.map((kind) => {
      errors.inc({ kind }, 0);
      return [kind, errors.labels({ kind })];
    }),
  ) as Record<RecoveryKind, { inc(): void }>;
  const onReporterFailure = (): void => reporterFailures.inc();

  function recover(ctx: Context, thrown: unknown): void {
    const res = ctx.raw.res;
    // Headers on the wire (a stream): a second status line cannot be sent.
    const committed = ctx.res.committed || res.headersSent;
    if (isClientGone(thrown, ctx)) {
      byKind.client_closed.inc();
      if (committed) cut(ctx);
      else answer(ctx, CLIENT_CLOSED_ANSWER);
      return;
    }
    const httpError = asHttpError(thrown);
    const error: Error = httpError ?? toError(thrown);
    const kind = httpError !== undefined ? 'http_error' : isErrorValue(thrown) ? 'error' : 'non_error';
    byKind[kind].inc();
    try {
      ctx.state.recoveredError = error;
    } catch {
      // A frozen or sealed state (someone's hardening): the answer matters more than the note.
    }
    // The status and code actually sent: the HttpError's, unless its answer failed and the fixed 500 went instead.
    let kept = httpError;
    if (committed) cut(ctx);
    else if (!answer(ctx, error)) kept = undefined;
    if (!wantsReport(settings, error, ctx)) return;
    const outcome: Outcome = {
      error,
      kind,
      status: committed ? res.statusCode : (kept?.status ?? 500),
      code: committed ? (httpError?.code ?? 'INTERNAL_ERROR') : (kept?.code ?? 'INTERNAL_ERROR'),
      committed,
    };
    try {
      dispatch(settings.reporters, requestReport(ctx, outcome, settings), onReporterFailure);
    } catch {
      // The report could not even be built (a context whose getters throw): the answer stands.
      onReporterFailure();
    }
  }

  const described = {
    onError: settings.reporters,
    shouldReport: options?.shouldReport,
    redactHeaders: settings.redactedNames,
    userId: options?.userId,
    maxStackChars: settings.maxStackChars,
    now: options?.now,
    registry,
    prefix,
  };
  /** A `next()` that threw instead of rejecting: the same answer, as a promise. */
  function recoverNow(ctx: Context, thrown: unknown): Promise<void> {
    try {
      recover(ctx, thrown);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve();
  }

  // Not an async function: the downstream's promise with one rejection handler chained, no extra layer.
  return defineMiddleware('recovery', described, function recovery(ctx: Context, next: Next): Promise<void> {
    let downstream: Promise<void>;
    try {
      downstream = Promise.resolve(next());
    } catch (thrown) {
      return recoverNow(ctx, thrown);
    }
    return downstream.then(undefined, (thrown: unknown) => recover(ctx, thrown));
  });
}
markFactory(recovery);

function wantsReport(settings: RecoverySettings, error: Error, ctx: Context): boolean {
  try {
    return settings.shouldReport(error, ctx) !== false;
  } catch {
    // A filter that throws: better one report too many than a crash hidden.
    return true;
  }
}

/** The response already started: end it abruptly so the client sees an aborted response, never a "complete" truncated one. */
function cut(ctx: Context): void {
  const res = ctx.raw.res;
  // A response the downstream ended is complete: nothing to cut.
  if (!res.writableEnded) res.destroy();
}

/**
 * Answers with the problem formatter; if that fails (a throwing formatter,
 * error headers node refuses), with a fixed 500. False when the fixed 500 (or
 * a cut) replaced the intended answer.
 */
function answer(ctx: Context, error: unknown): boolean {
  try {
    problemInstead(ctx, error);
    return true;
  } catch {
    // Fall through to the answer that needs neither the formatter nor the error.
  }
  try {
    const requestId = ctx.state.requestId;
    ctx.respond(500, fallbackBody(typeof requestId === 'string' ? requestId : undefined), FALLBACK_HEADERS);
  } catch {
    ctx.raw.res.destroy();
  }
  return false;
}

const FALLBACK_HEADERS = Object.freeze({ 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' });

function fallbackBody(requestId: string | undefined): string {
  return JSON.stringify({
    type: 'urn:ward:problem:internal-error',
    title: 'Internal Server Error',
    status: 500,
    code: 'INTERNAL_ERROR',
    request_id: requestId,
  });
}
