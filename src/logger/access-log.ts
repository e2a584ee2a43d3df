/**
 * `accessLog()`: one structured record per request, written once the
 * response is decided — what pino-http's "request completed" line and
 * morgan's access line are, without tokens, cookies, bodies or query
 * values, and with every client-controlled string made safe for one line.
 */
import { type Context, type Middleware, defineMiddleware, markFactory } from '@ward/core';
import {
  type CommonLogOptions,
  checkBoolean,
  checkFunction,
  checkMaxFieldChars,
  checkOptionsObject,
  readUserId,
} from './common.js';
import { defaultLogger } from './default-logger.js';
import { describeValue } from '@ward/core';
import { connectionAborted, decidedStatus, errorStatus, responseBytes, summarizeError } from './outcome.js';
import { type HeaderSpec, REDACTED, headerNames, headerSpecs, loggedQuery, nameSet, redactedHeaderSet } from './redaction.js';
import { safeOrNull } from './sanitize.js';
import { type FailureCounter, checkLogger, failureCounter, writeRecord } from './sink.js';
import type { AccessLogRecord, LogLevel } from './types.js';

/** Options of {@link accessLog}. */
export interface AccessLogOptions extends CommonLogOptions {
  /**
   * Requests that take at least this many milliseconds are logged at `warn`
   * (unless already `error`) with `slow: true`. Default: none (`slow` is
   * always `false`).
   */
  slowMs?: number;
  /** Monotonic clock in milliseconds (fractions allowed), for `duration_ms`. Default: `performance.now()`. */
  now?: () => number;
  /**
   * Log the request path (`path`). Default: `true`. Set `false` when paths
   * carry secrets (`/reset/<token>`): the route template is still logged.
   */
  path?: boolean;
  /**
   * Log the query string (`query`), re-encoded, with the values of secret
   * keys replaced by `[redacted]`. Default: `false` (never logged).
   */
  query?: boolean;
  /**
   * Query keys whose values are redacted, on top of the built-in ones
   * (`SECRET_NAME`: anything naming a token, password, secret, key,
   * credential, signature, session or auth value, and `code`, `key`, `sig`,
   * `jwt`, `pwd`, `otp`, `pin`). Case-insensitive. Default: none.
   */
  redactQuery?: readonly string[];
  /**
   * Request headers to log (opt-in), under `headers`, by lower-case name.
   * Default: none. `Authorization`, `Proxy-Authorization`, `Cookie`,
   * `Set-Cookie`, `X-API-Key`, `X-Auth-Token` and `redactHeaders` are
   * logged as `[redacted]` even when listed.
   */
  headers?: readonly string[];
  /** Response headers to log (opt-in), under `response_headers`. Default: none. Same redaction. */
  responseHeaders?: readonly string[];
  /** More header names to log as `[redacted]`. Default: none. */
  redactHeaders?: readonly string[];
  /**
   * Add the error's `message` and `stack` (cut to 4 096 characters) to the
   * record of a request whose `next()` rejected. Default: `false` (name and
   * code only).
   */
  errorDetails?: boolean;
  /**
   * Requests not to log (health checks), decided after `next()`. Default:
   * none. A hook that throws is counted (`stage="skip"`) and the request is
   * logged.
   */
  skip?: (ctx: Context) => boolean;
}

/**
 * Logs one structured record per request ({@link AccessLogRecord}) once
 * the response is decided: `info` below 400, `warn` for 4xx and slow
 * requests, `error` for 5xx. A rejected `next()` is logged at its status
 * (an `HttpError`'s, else 500) with the error's name and code, then
 * rethrown unchanged. Place it after `requestId()` (so `request_id` is
 * known) and before `recovery()` (so it sees recovery's 500).
 *
 * @example
 * import pino from 'pino';
 * const engine = new Engine();
 * engine.use(requestId(), accessLog({ logger: pino(), slowMs: 1000 }), recovery());
 */
export function accessLog(options: AccessLogOptions = {}): Middleware {
  checkOptionsObject(options, 'accessLog(options)');
  const logger = options.logger === undefined ? defaultLogger() : checkLogger(options.logger, 'accessLog({ logger })');
  const maxChars = checkMaxFieldChars(options.maxFieldChars, 'accessLog({ maxFieldChars })');
  const userId = checkFunction<CommonLogOptions['userId']>(options.userId, 'accessLog({ userId })', '(ctx) => string | number | undefined');
  const skip = checkFunction<(ctx: Context) => boolean>(options.skip, 'accessLog({ skip })', '(ctx) => boolean');
  const now = checkFunction<() => number>(options.now, 'accessLog({ now })', 'returning milliseconds') ?? performance.now.bind(performance);
  const slowMs = options.slowMs;
  if (slowMs !== undefined) {
    if (typeof slowMs !== 'number') throw new TypeError(`accessLog({ slowMs }) must be a number of milliseconds such as 1000, got ${describeValue(slowMs)}`);
    if (!Number.isFinite(slowMs) || slowMs < 0) throw new RangeError(`accessLog({ slowMs }) must be a finite number ≥ 0, got ${slowMs}`);
  }
  const logPath = checkBoolean(options.path, true, 'accessLog({ path })');
  const logQuery = checkBoolean(options.query, false, 'accessLog({ query })');
  const errorDetails = checkBoolean(options.errorDetails, false, 'accessLog({ errorDetails })');
  const redactQuery = nameSet(options.redactQuery, 'accessLog({ redactQuery })');
  const redacted = redactedHeaderSet(headerNames(options.redactHeaders, 'accessLog({ redactHeaders })'));
  const requestHeaders = headerSpecs(headerNames(options.headers, 'accessLog({ headers })'), redacted);
  const responseHeaders = headerSpecs(headerNames(options.responseHeaders, 'accessLog({ responseHeaders })'), redacted);
  const failures: FailureCounter = failureCounter(options.metrics, 'access', 'accessLog({ metrics })');
  const onRejected = (): void => failures.inc('write');

  function isSkipped(ctx: Context): boolean {
    try {
      return skip!(ctx) === true;
    } catch {
      failures.inc('skip');
      return false;
    }
  }

  /** Builds and writes the record; never throws. */
  function log(ctx: Context, start: number, failed: boolean, error: unknown): void {
    try {
      record(ctx, start, failed, error);
    } catch {
      // A broken injected clock or a throwing framework getter: the response matters more than its log line.
      failures.inc('write');
    }
  }

  function record(ctx: Context, start: number, failed: boolean, error: unknown): void {
    if (skip !== undefined && isSkipped(ctx)) return;
    const elapsed = now() - start;
    // A clock that went backwards (or a broken injected one) counts as 0 ms.
    const duration = elapsed >= 0 && elapsed < Infinity ? Math.round(elapsed * 1000) / 1000 : 0;
    const aborted = connectionAborted(ctx);
    const status = failed ? errorStatus(error, ctx.adapter) : decidedStatus(ctx, aborted);
    const slow = slowMs !== undefined && duration >= slowMs;
    const req = ctx.req;
    const state = ctx.state;
    const record: AccessLogRecord = {
      log: 'access',
      request_id: safeOrNull(state.requestId, maxChars),
      trace_id: safeOrNull(state.traceId, maxChars),
      method: req.method,
      route: safeOrNull(req.route, maxChars),
      path: logPath ? safeOrNull(req.path, maxChars) : null,
      status,
      duration_ms: duration,
      bytes: failed ? null : responseBytes(ctx, status, aborted),
      ip: safeOrNull(req.ip, maxChars),
      user_id: readUserId(ctx, userId, maxChars, failures),
      user_agent: safeOrNull(req.headers['user-agent'], maxChars),
      slow,
      aborted,
    };
    if (logQuery) record.query = loggedQuery(req.query, redactQuery, maxChars);
    if (requestHeaders.length > 0) record.headers = headerValues(requestHeaders, (name) => req.header(name), maxChars);
    if (responseHeaders.length > 0) record.response_headers = headerValues(responseHeaders, (name) => ctx.res.header(name), maxChars);
    if (failed) record.error = summarizeError(error, errorDetails, maxChars);
    const level: LogLevel = status >= 500 ? 'error' : status >= 400 || slow ? 'warn' : 'info';
    writeRecord(logger, level, record, failed ? 'request failed' : 'request completed', failures, onRejected);
  }

  const described = {
    logger: options.logger,
    slowMs,
    now: options.now,
    path: logPath,
    query: logQuery,
    redactQuery: [...redactQuery],
    headers: requestHeaders.map((h) => h.name),
    responseHeaders: responseHeaders.map((h) => h.name),
    redactHeaders: [...redacted],
    errorDetails,
    userId: options.userId,
    skip: options.skip,
    maxFieldChars: maxChars,
  };
  return defineMiddleware('accessLog', described, async function accessLog(ctx, next) {
    const start = now();
    try {
      await next();
    } catch (error) {
      log(ctx, start, true, error);
      throw error;
    }
    log(ctx, start, false, undefined);
  });
}
markFactory(accessLog);

function headerValues(specs: readonly HeaderSpec[], read: (name: string) => string | undefined, maxChars: number): Record<string, string | null> {
  // No prototype: a header named `__proto__` is a key like any other.
  const out = Object.create(null) as Record<string, string | null>;
  for (const { name, redacted } of specs) {
    const value = read(name);
    out[name] = value === undefined ? null : redacted ? REDACTED : safeOrNull(value, maxChars);
  }
  return out;
}
