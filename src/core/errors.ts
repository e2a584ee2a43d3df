/**
 * Typed errors. `WardError` is the base of every error a ward package throws
 * or turns into an answer; `HttpError` is the one that becomes a response.
 * Brand guards (`isHttpError`) work across duplicate package copies, where
 * `instanceof` does not.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { HeaderRecord } from './types.js';

const WARD_ERROR = Symbol.for('ward.error');
const HTTP_ERROR = Symbol.for('ward.http-error');

/**
 * Stable machine codes of the errors core and the adapters produce. Other
 * packages add theirs (`RATE_LIMITED`, `TOKEN_EXPIRED`, …); the type stays open.
 */
export type WardErrorCode =
  | 'BAD_REQUEST'
  | 'INVALID_JSON'
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL_ERROR'
  | 'SERVICE_UNAVAILABLE'
  | 'GATEWAY_TIMEOUT'
  | 'CLIENT_CLOSED'
  | (string & {});

/** Base of every ward error: a stable `code`, optional `cause`. */
export class WardError extends Error {
  override name = 'WardError';
  readonly code: WardErrorCode;
  readonly [WARD_ERROR] = true;

  constructor(code: WardErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Options of an {@link HttpError}. */
export interface HttpErrorOptions {
  /** Stable machine code. Default: derived from the status (`404` → `NOT_FOUND`). */
  code?: WardErrorCode;
  /** Short human summary; default: the status phrase (`Not Found`). */
  title?: string;
  /** Human explanation of this occurrence; sent to the client when {@link expose} is true. */
  detail?: string;
  /** Headers the answer carries (`Retry-After`, `WWW-Authenticate`, `Allow`). */
  headers?: HeaderRecord;
  /** Extra problem+json members (`errors`, `limit`, …). Default: none. */
  extensions?: Readonly<Record<string, unknown>>;
  /** Whether `detail` may reach the client. Default: true below 500, false from 500. */
  expose?: boolean;
  cause?: unknown;
}

/**
 * An error that becomes one HTTP answer: an RFC 9457 problem+json body with
 * its status, code and headers. A 4xx carries no stack trace (its `stack`
 * is the `HttpError: detail` line alone): it describes the request, and
 * refusing a flood must not cost a stack capture per request. A 5xx keeps
 * its stack, for recovery's reports.
 *
 * @example
 * throw new HttpError(404, { code: 'USER_NOT_FOUND', detail: 'No user 42' });
 */
export class HttpError extends WardError {
  override name = 'HttpError';
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly headers: HeaderRecord;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly expose: boolean;
  readonly [HTTP_ERROR] = true;

  constructor(status: number, options: HttpErrorOptions = {}) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError status must be an integer from 400 to 599, got ${String(status)}`);
    }
    const title = options.title ?? statusTitle(status);
    // A 4xx describes the request, not a fault in the code: no stack trace. Capturing one costs
    // microseconds per refused request, and refusals (401, 429, 404…) are what a flood is made of.
    // Everything that could throw (a getter, a toString) runs before the limit is lowered.
    const code = options.code ?? codeForStatus(status);
    const message = String(options.detail ?? title);
    const cause = { cause: options.cause };
    const limit = status < 500 ? suspendStackTraces() : undefined;
    super(code, message, cause);
    if (limit !== undefined) Error.stackTraceLimit = limit;
    this.status = status;
    this.title = title;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
    this.expose = options.expose ?? status < 500;
  }
}

/** Sets `Error.stackTraceLimit` to 0 and returns what it was; undefined when it cannot be changed (a frozen `Error`). */
function suspendStackTraces(): number | undefined {
  const limit = Error.stackTraceLimit;
  if (typeof limit !== 'number' || limit === 0) return undefined;
  try {
    Error.stackTraceLimit = 0;
    return limit;
  } catch {
    return undefined;
  }
}

/** The request's client went away before the answer was written. */
export class ClientClosedError extends WardError {
  override name = 'ClientClosedError';
  constructor() {
    super('CLIENT_CLOSED', 'The client closed the connection before the response was complete');
  }
}

/** True for any ward error, even from another copy of `@ward/core`. */
export function isWardError(value: unknown): value is WardError {
  return hasBrand(value, WARD_ERROR);
}

/** True for an {@link HttpError}, even from another copy of `@ward/core`. */
export function isHttpError(value: unknown): value is HttpError {
  return hasBrand(value, HTTP_ERROR);
}

/**
 * The value to hand to a framework's own error handling (Express, Fastify):
 * the thrown value itself, unless reading what those handlers read
 * (`status`, `statusCode`, `message`, `headers`, …) throws — a Proxy whose
 * traps throw, a getter that throws — which would hang or crash them. Then a
 * plain Error that says so instead.
 */
export function inspectableError(error: unknown): unknown {
  if ((typeof error !== 'object' && typeof error !== 'function') || error === null) return error;
  try {
    const fields = error as Record<string, unknown>;
    for (const key of FRAMEWORK_READS) void fields[key];
    void (error instanceof Error);
    return error;
  } catch {
    return new Error('ward: a thrown value could not be inspected (reading its properties throws)');
  }
}

const FRAMEWORK_READS = ['status', 'statusCode', 'message', 'name', 'code', 'headers', 'expose', 'stack', 'cause', 'validation'] as const;

/**
 * The status an Error from a framework or library carries by the
 * http-errors convention (`status` or `statusCode`, 400–599): body-parser's
 * 400/413, Express's 400 for a malformed path, Fastify's `FST_ERR_*` errors.
 * Only real `Error` instances count; never throws.
 */
export function conventionalStatus(error: unknown): number | undefined {
  try {
    if (!(error instanceof Error)) return undefined;
    const fields = error as Error & { status?: unknown; statusCode?: unknown };
    // finalhandler's rule: `status` when it is an error status, else `statusCode` when that is one.
    return errorStatus(fields.status) ?? errorStatus(fields.statusCode);
  } catch {
    return undefined;
  }
}

/** `value` when it is an integer error status (400–599). */
function errorStatus(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599 ? value : undefined;
}

/**
 * The status the client gets for `error` when it leaves the chain unhandled,
 * on `adapter`: an `HttpError`'s own; where ward answers (engine, node),
 * {@link conventionalStatus}; where the framework does (Express's
 * finalhandler, Fastify), any object's 4xx/5xx `status`, else `statusCode`
 * (Fastify: `statusCode`, else `status`), as they read it; anything else 500. Never throws. Logs and metrics use it
 * so they count what the client saw.
 */
export function answeredStatus(error: unknown, adapter: string): number {
  if (typeof error !== 'object' || error === null) return 500;
  try {
    if (isHttpError(error)) return error.status;
    if (adapter === 'engine' || adapter === 'node') return conventionalStatus(error) ?? 500;
    const e = error as { status?: unknown; statusCode?: unknown };
    // Fastify's setErrorStatusCode: `statusCode`, else `status`, each only as an error status.
    if (adapter === 'fastify') return errorStatus(e.statusCode) ?? errorStatus(e.status) ?? 500;
    // Express's finalhandler: `status`, else `statusCode`, each only as an error status.
    return errorStatus(e.status) ?? errorStatus(e.statusCode) ?? 500;
  } catch {
    // A hostile getter: the error is still a 500.
    return 500;
  }
}

/**
 * An Error with an http-errors status (see {@link conventionalStatus}) as
 * the `HttpError` it stands for, keeping its `headers` as http-errors and
 * Express's finalhandler do (`createError(405, { headers: { Allow: 'GET' } })`,
 * a 429's `Retry-After`) — but only names and values node accepts, and
 * never the fields that frame the answer ward writes (`Content-*`,
 * `Transfer-Encoding`, hop-by-hop fields). Undefined for anything else;
 * never throws.
 */
export function conventionalHttpError(error: unknown): HttpError | undefined {
  const status = conventionalStatus(error);
  if (status === undefined) return undefined;
  return new HttpError(status, { cause: error, headers: conventionalHeaders(error as Error) });
}

const FRAMING = /^(?:content-|transfer-encoding$|connection$|keep-alive$|proxy-connection$|upgrade$|te$|trailer$)/i;

function conventionalHeaders(error: Error): HeaderRecord | undefined {
  try {
    const given = (error as { headers?: unknown }).headers;
    if (typeof given !== 'object' || given === null || Array.isArray(given)) return undefined;
    const headers: Record<string, string | number | string[]> = {};
    for (const name of Object.keys(given)) {
      const value = (given as Record<string, unknown>)[name];
      if (FRAMING.test(name)) continue;
      const kept = typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) ? value : Array.isArray(value) && value.every((v) => typeof v === 'string') ? [...(value as string[])] : undefined;
      if (kept === undefined) continue;
      try {
        validateHeaderName(name);
        for (const one of Array.isArray(kept) ? kept : [kept]) validateHeaderValue(name, String(one));
      } catch {
        continue;
      }
      headers[name.toLowerCase()] = kept;
    }
    return headers;
  } catch {
    // Headers we cannot read (a throwing getter, a Proxy): the status alone.
    return undefined;
  }
}

/** Never throws: a thrown value may be a Proxy or an object with throwing getters. */
/**
 * True when `value` carries `brand` (a `Symbol.for` key set to `true`): the
 * type guard every ward package's errors use, so it works across duplicate
 * package copies where `instanceof` does not. A value whose reads throw (a
 * hostile Proxy) is not branded.
 */
export function hasBrand(value: unknown, brand: symbol): boolean {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return (value as Record<symbol, unknown>)[brand] === true;
  } catch {
    return false;
  }
}

const CODES: Readonly<Record<number, WardErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  423: 'Locked',
  424: 'Failed Dependency',
  425: 'Too Early',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  507: 'Insufficient Storage',
  508: 'Loop Detected',
  511: 'Network Authentication Required',
};

/** The RFC 9110 reason phrase of a status (`Error` for an unknown one). */
export function statusTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

function codeForStatus(status: number): WardErrorCode {
  return CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
}
