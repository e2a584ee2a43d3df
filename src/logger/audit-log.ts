/**
 * `auditLog()`: the audit flavour. For each request with a state-changing
 * method it records who (user id, client address) did what (method, route,
 * parameters), when (the logger's time), with which outcome (status,
 * success/denied/failure), under which request id — to its own logger.
 *
 * How it differs from the access log: it ignores reads (GET, HEAD,
 * OPTIONS); it records the route parameters (the object acted on) but no
 * timing, size or user agent; every record is written at `info`, whatever
 * the outcome, so a level filter can never drop part of the trail; and it
 * is meant for its own destination, kept longer and apart from operational
 * logs (OWASP Logging Cheat Sheet).
 */
import { type Context, type Middleware, defineMiddleware, markFactory } from '@ward/core';
import { type CommonLogOptions, checkBoolean, checkFunction, checkMaxFieldChars, checkOptionsObject, readUserId } from './common.js';
import { defaultLogger } from './default-logger.js';
import { describeValue } from '@ward/core';
import { connectionAborted, decidedStatus, errorStatus, summarizeError } from './outcome.js';
import { REDACTED, isSecretName, loggedParams, nameSet } from './redaction.js';
import { safeOrNull, safeText } from './sanitize.js';
import { type FailureCounter, checkLogger, failureCounter, writeRecord } from './sink.js';
import type { AuditLogRecord, AuditOutcome } from './types.js';

/** Options of {@link auditLog}. */
export interface AuditLogOptions extends CommonLogOptions {
  /** Methods that are audited (upper case). Default: {@link DEFAULT_AUDIT_METHODS} (`POST`, `PUT`, `PATCH`, `DELETE`). */
  methods?: readonly string[];
  /** Record the route parameters (`params`). Default: `true`. */
  params?: boolean;
  /**
   * Parameter names whose values are redacted, on top of the built-in
   * secret names (`SECRET_NAME`). Case-insensitive. Default: none.
   */
  redactParams?: readonly string[];
  /** Add the error's `message` and `stack` when `next()` rejected. Default: `false`. */
  errorDetails?: boolean;
  /**
   * Record the request path. When a route parameter is redacted
   * (`/reset/:token`), the path would spell it out: the route template is
   * recorded in its place. `false`: `path` is `null`. Default: `true`.
   */
  path?: boolean;
}

/**
 * The state-changing methods audited by default (RFC 9110 §9.2.1: not safe).
 *
 * @example
 * auditLog({ methods: [...DEFAULT_AUDIT_METHODS, 'PROPPATCH'] });
 */
export const DEFAULT_AUDIT_METHODS: readonly string[] = Object.freeze(['POST', 'PUT', 'PATCH', 'DELETE']);

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Z]+$/;
const EMPTY_PARAMS: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);

/**
 * Records who did what to which resource, with which outcome, for every
 * request whose method changes state ({@link AuditLogRecord}). Requests
 * with other methods pass through untouched. A rejected `next()` is
 * recorded as a `failure` with the error's name and code, then rethrown
 * unchanged. Place it after the authentication middleware, so `user_id` is
 * known, and give it its own logger.
 *
 * @example
 * const audit = auditLog({ logger: pino(pino.destination('/var/log/app/audit.log')) });
 * engine.use(requestId(), accessLog(), auth({ … }), audit);
 */
export function auditLog(options: AuditLogOptions = {}): Middleware {
  checkOptionsObject(options, 'auditLog(options)');
  const logger = options.logger === undefined ? defaultLogger() : checkLogger(options.logger, 'auditLog({ logger })');
  const maxChars = checkMaxFieldChars(options.maxFieldChars, 'auditLog({ maxFieldChars })');
  const userId = checkFunction<CommonLogOptions['userId']>(options.userId, 'auditLog({ userId })', '(ctx) => string | number | undefined');
  const logParams = checkBoolean(options.params, true, 'auditLog({ params })');
  const errorDetails = checkBoolean(options.errorDetails, false, 'auditLog({ errorDetails })');
  const logPath = checkBoolean(options.path, true, 'auditLog({ path })');
  const redactParams = nameSet(options.redactParams, 'auditLog({ redactParams })');
  const methods = auditedMethods(options.methods);
  const failures: FailureCounter = failureCounter(options.metrics, 'audit', 'auditLog({ metrics })');
  const onRejected = (): void => failures.inc('write');

  function log(ctx: Context, failed: boolean, error: unknown): void {
    try {
      const status = failed ? errorStatus(error, ctx.adapter) : decidedStatus(ctx, connectionAborted(ctx));
      const req = ctx.req;
      const state = ctx.state;
      const record: AuditLogRecord = {
        log: 'audit',
        request_id: safeOrNull(state.requestId, maxChars),
        trace_id: safeOrNull(state.traceId, maxChars),
        user_id: readUserId(ctx, userId, maxChars, failures),
        ip: safeOrNull(req.ip, maxChars),
        method: req.method,
        route: safeOrNull(req.route, maxChars),
        path: logPath ? auditedPath(req, redactParams, maxChars) : null,
        params: logParams ? loggedParams(req.params, redactParams, maxChars) : EMPTY_PARAMS,
        status,
        outcome: failed ? 'failure' : outcomeOf(status),
      };
      if (failed) record.error = summarizeError(error, errorDetails, maxChars);
      writeRecord(logger, 'info', record, 'audit', failures, onRejected);
    } catch {
      failures.inc('write');
    }
  }

  const described = {
    logger: options.logger,
    methods: [...methods],
    params: logParams,
    redactParams: [...redactParams],
    errorDetails,
    path: logPath,
    userId: options.userId,
    maxFieldChars: maxChars,
  };
  return defineMiddleware('auditLog', described, async function auditLog(ctx, next) {
    if (!methods.has(ctx.req.method)) return next();
    try {
      await next();
    } catch (error) {
      log(ctx, true, error);
      throw error;
    }
    log(ctx, false, undefined);
  });
}
markFactory(auditLog);

/** The raw path, or the route template when a parameter of it is a secret the `params` field redacts. */
function auditedPath(req: Context['req'], redactParams: ReadonlySet<string>, maxChars: number): string {
  const params = req.params;
  for (const key in params) {
    if (Object.prototype.hasOwnProperty.call(params, key) && isSecretName(key, redactParams)) return safeText(req.route ?? REDACTED, maxChars);
  }
  return safeText(req.path, maxChars);
}

function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'success';
  return status === 401 || status === 403 ? 'denied' : 'failure';
}

function auditedMethods(input: unknown): ReadonlySet<string> {
  if (input === undefined) return new Set(DEFAULT_AUDIT_METHODS);
  const where = 'auditLog({ methods })';
  if (!Array.isArray(input) || input.length === 0) {
    throw new TypeError(`${where} must be a non-empty array of methods such as ['POST', 'DELETE'], got ${describeValue(input)}`);
  }
  for (const method of input as unknown[]) {
    if (typeof method !== 'string') throw new TypeError(`${where} must hold method names (strings), got ${describeValue(method)}`);
    if (!METHOD.test(method)) {
      throw new RangeError(`${where}: ${JSON.stringify(method)} is not an upper-case method name; did you mean ${JSON.stringify(method.toUpperCase())}?`);
    }
  }
  return new Set(input as string[]);
}
