/**
 * The reports recovery hands to `onError` hooks: one per failure, built
 * from the request with secrets left out — credentials headers redacted
 * (OWASP Logging CS "Data to exclude", Gin's `secureRequestDump`), no query
 * string (it may carry tokens, OWASP REST CS), no body.
 */
import type { Context } from '@ward/core';
import { REDACTED as CORE_REDACTED, SENSITIVE_HEADERS } from '@ward/core';
import type { RecoveryKind } from './classify.js';
import { errorFacts } from './normalize.js';

/** What replaces the value of a redacted header. */
export const REDACTED: typeof CORE_REDACTED = CORE_REDACTED;

/**
 * Request headers whose values never appear in a report, whatever the
 * options say (lower-case).
 */
export const ALWAYS_REDACTED_HEADERS: readonly string[] = SENSITIVE_HEADERS;

/** What every report carries, from a request or from the process guard. */
interface ReportBase {
  /** The failure as an Error: the thrown Error itself, or a `ThrownValueError` whose `cause` is the value thrown. */
  error: Error;
  /** `error.name`, read safely. */
  name: string;
  /** `error.message`, read safely. */
  message: string;
  /** `error.stack`, capped at `maxStackChars`; undefined for non-Errors (their stack would point into recovery). */
  stack: string | undefined;
  /** When it was caught: ISO-8601 UTC with milliseconds. */
  time: string;
}

/** One failure recovery caught in a request. */
export interface RecoveryReport extends ReportBase {
  source: 'request';
  /** What was thrown (see {@link RecoveryKind}); `client_closed` is never reported. */
  kind: Exclude<RecoveryKind, 'client_closed'>;
  /** The status answered (500, or the `HttpError`'s), or the one already sent when {@link committed}. */
  status: number;
  /** The problem `code` answered: `INTERNAL_ERROR`, or the `HttpError`'s. */
  code: string;
  /** `ctx.state.requestId`, when set. */
  requestId: string | undefined;
  /** `ctx.state.traceId`, when set. */
  traceId: string | undefined;
  method: string;
  /** The matched route template (`/users/:id`), when the stack knows it. */
  route: string | undefined;
  /** The path, undecoded, without the query string. */
  path: string;
  /** The user's id, from the `userId` option (default: `ctx.state.user.id`), when known. */
  userId: string | undefined;
  /** Request headers (lower-case names), credentials replaced by `'[redacted]'`. */
  headers: Record<string, string | string[]>;
  /**
   * True when the response was already on the wire (streaming): it could
   * not be turned into a 500, so the connection was cut instead.
   */
  committed: boolean;
}

/** An error the process guard caught outside any request. */
export interface ProcessErrorReport extends ReportBase {
  source: 'uncaughtException' | 'unhandledRejection';
  kind: 'error' | 'non_error';
  /** True when the guard exits the process after reporting. */
  fatal: boolean;
}

/** Builds the header copy of a report; names matched case-insensitively. */
export type HeaderRedactor = (headers: Readonly<Record<string, string | string[] | undefined>>) => Record<string, string | string[]>;

/**
 * A redactor for {@link ALWAYS_REDACTED_HEADERS} plus `extra` (lower-cased
 * once, at configuration time).
 *
 * @example
 * const redact = headerRedactor(['x-session']);
 * redact({ authorization: 'Bearer t', 'x-session': 's', accept: '*' });
 * // { authorization: '[redacted]', 'x-session': '[redacted]', accept: '*' }
 */
export function headerRedactor(extra: readonly string[]): HeaderRedactor {
  const secret = new Set([...ALWAYS_REDACTED_HEADERS, ...extra.map((name) => name.toLowerCase())]);
  return function redactHeaders(headers) {
    const copy: Record<string, string | string[]> = {};
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (value === undefined) continue;
      // node's header object has lower-case names; a framework may have added others.
      copy[name] = secret.has(name.toLowerCase()) ? REDACTED : Array.isArray(value) ? [...value] : value;
    }
    return copy;
  };
}

/**
 * The default `userId`: `ctx.state.user.id` when it is a string or a
 * finite number (set by an authentication middleware), read defensively.
 */
export function defaultUserId(ctx: Context): string | undefined {
  const user = (ctx.state as { user?: unknown }).user;
  if (typeof user !== 'object' || user === null) return undefined;
  const id = (user as { id?: unknown }).id;
  if (typeof id === 'string') return id;
  return typeof id === 'number' && Number.isFinite(id) ? String(id) : undefined;
}

/** The settings a request report is built with. */
export interface ReportSettings {
  readonly maxStackChars: number;
  readonly redactHeaders: HeaderRedactor;
  readonly userId: (ctx: Context) => string | undefined;
  readonly now: () => number;
}

/** What the middleware decided about one failure. */
export interface Outcome {
  readonly error: Error;
  readonly kind: Exclude<RecoveryKind, 'client_closed'>;
  readonly status: number;
  readonly code: string;
  readonly committed: boolean;
}

/** Builds the report of one failure in a request. May throw only if the context itself does. */
export function requestReport(ctx: Context, outcome: Outcome, settings: ReportSettings): RecoveryReport {
  const { name, message, stack } = errorFacts(outcome.error, settings.maxStackChars);
  const state = ctx.state;
  return {
    source: 'request',
    kind: outcome.kind,
    error: outcome.error,
    name,
    message,
    stack,
    status: outcome.status,
    code: outcome.code,
    requestId: stringOrUndefined(state.requestId),
    traceId: stringOrUndefined(state.traceId),
    method: ctx.req.method,
    route: safeRoute(ctx),
    path: ctx.req.path,
    userId: safeUserId(ctx, settings.userId),
    headers: settings.redactHeaders(ctx.req.headers),
    committed: outcome.committed,
    time: isoTime(settings.now),
  };
}

/** `now()` as ISO-8601 UTC; the system clock when the injected one returns nonsense. */
export function isoTime(now: () => number): string {
  let ms: unknown;
  try {
    ms = now();
  } catch {
    ms = undefined;
  }
  const date = new Date(typeof ms === 'number' && Number.isFinite(ms) ? ms : Date.now());
  return Number.isNaN(date.getTime()) ? new Date().toISOString() : date.toISOString();
}

function safeRoute(ctx: Context): string | undefined {
  try {
    return stringOrUndefined(ctx.req.route);
  } catch {
    return undefined;
  }
}

function safeUserId(ctx: Context, userId: (ctx: Context) => string | undefined): string | undefined {
  try {
    const id: unknown = userId(ctx);
    if (typeof id === 'string') return id;
    return typeof id === 'number' && Number.isFinite(id) ? String(id) : undefined;
  } catch {
    // A user-id getter that throws must not cost the report.
    return undefined;
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
