/**
 * The options of `recovery()`, validated once at configuration time:
 * `TypeError` for a wrong type, `RangeError` for a bad value, each naming the
 * option and the value (STYLE.md §6).
 */
import { type Context, isHttpError } from '@ward/core';
import { type WardMetricsOptions, resolvePrefix, resolveRegistry } from '@ward/metrics';
import { type HeaderRedactor, type RecoveryReport, defaultUserId, headerRedactor } from './report.js';
import { type RecoveryReporter, jsonReporter, resolveReporters } from './reporters.js';

/**
 * Options of {@link recovery}. Every one is optional.
 *
 * @example
 * recovery({ onError: [jsonReporter(logger), toSentry], redactHeaders: ['x-session-token'], maxStackChars: 8192 });
 */
export interface RecoveryOptions extends WardMetricsOptions {
  /**
   * Hooks that receive a {@link RecoveryReport} for each failure worth
   * reporting: one function or an array (called in order). Never awaited;
   * one that throws, rejects or hangs cannot delay or break the answer.
   * Default: `jsonReporter()` (one JSON line on stderr). `[]` reports nothing.
   */
  onError?: RecoveryReporter | readonly RecoveryReporter[];
  /**
   * Which failures are reported (they are answered either way). Receives the
   * error (a non-Error thrown is a `ThrownValueError` whose `cause` is the
   * value) and the context. A filter that throws counts as `true`.
   * Default: server faults only — an `HttpError` below 500 is not reported.
   * A client that went away is never reported, whatever this says.
   */
  shouldReport?: (error: Error, ctx: Context) => boolean;
  /**
   * More request headers whose values are replaced by `'[redacted]'` in
   * reports (case-insensitive), on top of `authorization`,
   * `proxy-authorization`, `cookie`, `set-cookie` and `x-api-key`, which are
   * always redacted. Default: `[]`.
   */
  redactHeaders?: readonly string[];
  /**
   * The user id of a report. Default: `ctx.state.user.id` when it is a
   * string or a finite number (an authentication middleware sets it). A
   * getter that throws gives `undefined`.
   */
  userId?: (ctx: Context) => string | undefined;
  /** Characters of stack trace kept in a report (Echo keeps 4 KB). `0` keeps none. Default: `4096`. */
  maxStackChars?: number;
  /** Clock for the report's `time`, in milliseconds since the epoch. Default: `Date.now`. */
  now?: () => number;
}

/** The resolved options. */
export interface RecoverySettings {
  readonly reporters: readonly RecoveryReporter[];
  readonly shouldReport: (error: Error, ctx: Context) => boolean;
  readonly redactHeaders: HeaderRedactor;
  readonly redactedNames: readonly string[];
  readonly userId: (ctx: Context) => string | undefined;
  readonly maxStackChars: number;
  readonly now: () => number;
  readonly metrics: Required<WardMetricsOptions>;
}

/** Default stack cap, in characters: Echo's `StackSize` (4 KB). */
export const DEFAULT_MAX_STACK_CHARS = 4096;

/** RFC 9110 §5.6.2 token: what a header name may be. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The default `shouldReport`: server faults — any error that is not an
 * `HttpError`, and `HttpError`s of 500 and above.
 *
 * @example
 * // Also report 429s, keep the rest of the default:
 * recovery({ shouldReport: (error, ctx) => reportServerFaults(error) || (isHttpError(error) && error.status === 429) });
 */
export function reportServerFaults(error: Error): boolean {
  return !isHttpError(error) || error.status >= 500;
}

/** Validates {@link RecoveryOptions}. */
export function resolveRecoveryOptions(options: RecoveryOptions | undefined): RecoverySettings {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`recovery(options): options must be an object, got ${describe(options)}`);
  }
  const reporters = resolveReporters(options.onError, jsonReporter(), 'recovery({ onError })');
  const shouldReport = options.shouldReport ?? reportServerFaults;
  if (typeof shouldReport !== 'function') {
    throw new TypeError(`recovery({ shouldReport }) must be a function (error, ctx) => boolean, got ${describe(shouldReport)}`);
  }
  const extra = options.redactHeaders ?? [];
  if (!Array.isArray(extra)) {
    throw new TypeError(`recovery({ redactHeaders }) must be an array of header names such as ['x-session-token'], got ${describe(extra)}`);
  }
  for (const name of extra as unknown[]) {
    if (typeof name !== 'string' || !HEADER_NAME.test(name)) {
      throw new RangeError(`recovery({ redactHeaders }): ${describe(name)} is not a header name; use names such as 'x-session-token'`);
    }
  }
  const userId = options.userId ?? defaultUserId;
  if (typeof userId !== 'function') {
    throw new TypeError(`recovery({ userId }) must be a function (ctx) => string | undefined, got ${describe(userId)}`);
  }
  const maxStackChars = options.maxStackChars ?? DEFAULT_MAX_STACK_CHARS;
  if (typeof maxStackChars !== 'number') {
    throw new TypeError(`recovery({ maxStackChars }) must be a number of characters, got ${describe(maxStackChars)}`);
  }
  if (!Number.isSafeInteger(maxStackChars) || maxStackChars < 0) {
    throw new RangeError(`recovery({ maxStackChars }) must be an integer ≥ 0 (0 keeps no stack), got ${String(maxStackChars)}`);
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') {
    throw new TypeError(`recovery({ now }) must be a function returning milliseconds since the epoch, got ${describe(now)}`);
  }
  const metrics = {
    registry: resolveRegistry(options.registry, 'recovery({ registry })'),
    prefix: resolvePrefix(options.prefix, 'recovery({ prefix })'),
  };
  const redactedNames = Object.freeze(extra.map((name) => name.toLowerCase()));
  return Object.freeze({
    reporters,
    shouldReport,
    redactHeaders: headerRedactor(redactedNames),
    redactedNames,
    userId,
    maxStackChars,
    now,
    metrics,
  });
}

/** A short description of a bad option value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value;
}
