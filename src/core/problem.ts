/**
 * RFC 9457 problem details. One formatter makes every answer a ward
 * middleware gives on its own; a user replaces it through the adapter's
 * `problemFormatter` option.
 */
import { conventionalHttpError, HttpError, isHttpError } from './errors.js';
import type { Context } from './types.js';

/** The problem+json members ward sends. Extensions are allowed (RFC 9457 §3.2). */
export interface ProblemDetails {
  /** URI reference naming the problem type (`urn:ward:problem:not-found`). */
  type: string;
  title: string;
  status: number;
  /** Stable machine code, e.g. `RATE_LIMITED`. */
  code: string;
  detail?: string;
  /** The request id, when `@ward/request-id` (or anything) set `ctx.state.requestId`. */
  request_id?: string;
  [extension: string]: unknown;
}

/** Turns an error into the JSON value sent as `application/problem+json`. */
export type ProblemFormatter = (error: HttpError, ctx: Context, options: ProblemOptions) => unknown;

/** How problem bodies are made; set once per adapter. */
export interface ProblemOptions {
  /**
   * Include the message and stack of 5xx errors and their cause. Never in
   * production. Default: `false`.
   */
  development: boolean;
  /** Prefix of the `type` URI; the code, kebab-cased, is appended. Default: `urn:ward:problem:`. */
  typeBase: string;
  /** The formatter. Default: {@link formatProblem}. */
  formatter: ProblemFormatter;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * The default formatter: RFC 9457 members, `code`, `request_id`, then the
 * extensions. The object starts with one fixed shape and extensions are
 * added after (never over a member ward sets): spreading them first made a
 * new shape per extension set, about 1.6 KB and several µs per 429.
 */
export function formatProblem(error: HttpError, ctx: Context, options: ProblemOptions): ProblemDetails {
  const problem: ProblemDetails = {
    type: options.typeBase + error.code.toLowerCase().replaceAll('_', '-'),
    title: error.title,
    status: error.status,
    code: error.code,
  };
  if (error.detail !== undefined && (error.expose || options.development)) problem.detail = error.detail;
  const requestId = ctx.state.requestId;
  if (requestId !== undefined) problem.request_id = requestId;
  if (options.development && error.status >= 500) {
    const origin = error.cause instanceof Error ? error.cause : error;
    problem.detail = origin.message;
    problem.stack = origin.stack?.split('\n');
  }
  const extensions = error.extensions;
  for (const name of Object.keys(extensions)) {
    if (Object.hasOwn(problem, name)) continue;
    // An own "__proto__" member stays a member, as in a spread (assigning it would set the prototype).
    if (name === '__proto__') Object.defineProperty(problem, name, { value: extensions[name], enumerable: true, writable: true, configurable: true });
    else problem[name] = extensions[name];
  }
  return problem;
}

export const defaultProblemOptions: ProblemOptions = Object.freeze({
  development: false,
  typeBase: 'urn:ward:problem:',
  formatter: formatProblem,
});

/**
 * Resolves adapter options into {@link ProblemOptions}, validating them at
 * configuration time.
 */
export function problemOptions(input: Partial<ProblemOptions> | undefined): ProblemOptions {
  if (input === undefined) return defaultProblemOptions;
  if (input.formatter !== undefined && typeof input.formatter !== 'function') {
    throw new TypeError(`problemFormatter must be a function, got ${typeof input.formatter}`);
  }
  if (input.development !== undefined && typeof input.development !== 'boolean') {
    throw new TypeError(`development must be a boolean, got ${typeof input.development}`);
  }
  return Object.freeze({ ...defaultProblemOptions, ...stripUndefined(input) });
}

/**
 * Any thrown value as an HttpError: itself; an Error carrying a 4xx/5xx
 * `status`/`statusCode` (the http-errors convention of body-parser, Express
 * and Fastify) as that status, its message not exposed; anything else a 500.
 * The original is kept as `cause`.
 */
export function toHttpError(error: unknown): HttpError {
  if (isHttpError(error)) return error;
  return conventionalHttpError(error) ?? new HttpError(500, { cause: error });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] !== undefined) out[key] = value[key];
  }
  return out;
}
