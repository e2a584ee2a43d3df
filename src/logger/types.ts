/**
 * The shapes @ward/logger writes: the pino-compatible logger interface it
 * writes to, and the access and audit records, field by field.
 */

/** The levels records are written at. */
export type LogLevel = 'info' | 'warn' | 'error';

/**
 * Any logger with pino's calling convention — an object first, an optional
 * message — such as a pino or bunyan instance (or a child of one). Methods
 * are called as methods (`logger.info(record, msg)`), so `this` is kept.
 * A method that throws, or returns a promise that rejects, is counted and
 * otherwise ignored: logging never breaks a response.
 *
 * @example
 * import pino from 'pino';
 * const logger: StructuredLogger = pino();
 */
export interface StructuredLogger {
  info(record: object, message?: string): unknown;
  warn(record: object, message?: string): unknown;
  error(record: object, message?: string): unknown;
}

/**
 * What a failure that rejected `next()` looks like in a record. No message
 * and no stack unless `errorDetails: true` (messages can carry user input
 * and secrets; stacks carry file paths).
 */
export interface ErrorSummary {
  /**
   * The error's `name` (`'Error'`, `'HttpError'`, `'TypeError'`); for a
   * thrown value that is not an object, its type: `'string'`, `'number'`,
   * `'undefined'`, `'null'`.
   */
  name: string;
  /** The error's `code` (`'RATE_LIMITED'`, `'ECONNRESET'`), or `null`. */
  code: string | null;
  /** Only with `errorDetails: true`: the message, made safe and cut to `maxFieldChars`. */
  message?: string | null;
  /** Only with `errorDetails: true`: the stack, made safe and cut to 4 096 characters. */
  stack?: string | null;
}

/**
 * One access log record: one per request, written after the response is
 * decided. Every field is always present (`null` when unknown), so the
 * schema never changes from one line to the next; `query`, `headers`,
 * `response_headers` and `error` appear only when asked for or relevant.
 * Every string the client controls is cut and escaped (see the README).
 */
export interface AccessLogRecord {
  /** `'access'`: tells access records from audit records on a shared logger. */
  log: 'access';
  /** `ctx.state.requestId` (set by `@ward/request-id`), or `null`. */
  request_id: string | null;
  /** `ctx.state.traceId` (32 hex, W3C trace context), or `null`. */
  trace_id: string | null;
  /** Upper-case method. */
  method: string;
  /** The matched route template (`/users/:id`), read after `next()`; `null` when no route matched. Never the raw path. */
  route: string | null;
  /** The request path, undecoded, without the query string; `null` with `path: false`. */
  path: string | null;
  /** The status decided by the chain (the 404 the adapter sends when nothing answered; 499 when the client left first). */
  status: number;
  /** Milliseconds from entering the middleware until the response was decided (for a stream: until it ended), to the microsecond. */
  duration_ms: number;
  /** Bytes of the response body, when known (a buffered body, or `Content-Length`); `null` for a stream without a length. */
  bytes: number | null;
  /** `ctx.req.ip` (proxy headers only through the adapter's `trustProxy`). */
  ip: string | null;
  /** The user, from `userId(ctx)` or `ctx.state.user?.id`; `null` when anonymous. */
  user_id: string | null;
  /** The `User-Agent` header, or `null`. */
  user_agent: string | null;
  /** True when `duration_ms` reached `slowMs`. */
  slow: boolean;
  /** True when the connection closed before the response was complete (client gone, stream cut). */
  aborted: boolean;
  /** With `query: true`: the query string, re-encoded, secret values `[redacted]`; `null` when there was none. */
  query?: string | null;
  /** With `headers: [...]`: each listed request header (lower-case name), `null` when absent. */
  headers?: Record<string, string | null>;
  /** With `responseHeaders: [...]`: each listed response header, `null` when absent. */
  response_headers?: Record<string, string | null>;
  /** When `next()` rejected: what failed. */
  error?: ErrorSummary;
}

/** How a state-changing request ended, for the audit trail. */
export type AuditOutcome = 'success' | 'denied' | 'failure';

/**
 * One audit record: who did what, when, with what outcome — for each
 * request with a state-changing method.
 */
export interface AuditLogRecord {
  /** `'audit'`. */
  log: 'audit';
  request_id: string | null;
  trace_id: string | null;
  /** Who: the user, or `null` when anonymous. */
  user_id: string | null;
  /** Who: the client address. */
  ip: string | null;
  /** Did what: the method. */
  method: string;
  /** Did what: the route template, or `null` when no route matched. */
  route: string | null;
  /** Did what: the request path, without the query string (the route template when a parameter is redacted); `null` with `path: false`. */
  path: string | null;
  /** Did what: the route parameters (values made safe, secret names redacted); `{}` with `params: false`. */
  params: Record<string, string>;
  /** The status decided by the chain. */
  status: number;
  /** `success` below 400; `denied` for 401 and 403; `failure` otherwise (other 4xx, 5xx, a rejected `next()`). */
  outcome: AuditOutcome;
  /** When `next()` rejected: what failed. */
  error?: ErrorSummary;
}
