/**
 * Reporters: the `onError` hooks, how they are called (fire and forget: a
 * reporter that throws, rejects or never settles cannot delay or break the
 * answer, and its own failure never recurses into another report), and the
 * built-in JSON-lines reporter.
 */
import type { ProcessErrorReport, RecoveryReport } from './report.js';

/**
 * A hook that receives reports. Its return value is ignored; a returned
 * promise is never awaited, and its rejection is caught.
 *
 * @example
 * const toSentry: RecoveryReporter = (report) => Sentry.captureException(report.error);
 */
export type RecoveryReporter<R = RecoveryReport> = (report: R) => unknown;

/** A reporter for both request and process reports (what {@link jsonReporter} makes). */
export type AnyReport = RecoveryReport | ProcessErrorReport;

/**
 * The logger {@link jsonReporter} writes to: anything with pino's
 * `error(object, message)` (pino, bunyan-style, `console`).
 */
export interface ErrorLogger {
  error(object: Record<string, unknown>, message?: string): unknown;
}

/** Called when a reporter throws or its promise rejects (counted in metrics by the middleware). */
export type ReporterFailureHook = (error: unknown) => void;

/**
 * Validates `onError` (one function or an array of them) into a frozen list.
 *
 * @param where the option's name in error messages.
 */
export function resolveReporters<R>(input: RecoveryReporter<R> | readonly RecoveryReporter<R>[] | undefined, fallback: RecoveryReporter<R>, where: string): readonly RecoveryReporter<R>[] {
  if (input === undefined) return Object.freeze([fallback]);
  const list: readonly unknown[] = typeof input === 'function' ? [input] : Array.isArray(input) ? input : [input];
  list.forEach((reporter, i) => {
    if (typeof reporter !== 'function') {
      const at = typeof input === 'function' || !Array.isArray(input) ? where : `${where}[${i}]`;
      throw new TypeError(
        `${at} must be a function (report) => void, or an array of them (use [] for no reporting), got ${reporter === null ? 'null' : typeof reporter}`,
      );
    }
  });
  return Object.freeze([...(list as RecoveryReporter<R>[])]);
}

/**
 * Calls every reporter with `report`, synchronously, without awaiting
 * anything. Returns the promises reporters returned (the process guard waits
 * for them, bounded, before exiting; the middleware ignores them).
 */
export function dispatch<R>(reporters: readonly RecoveryReporter<R>[], report: R, onFailure: ReporterFailureHook): Promise<unknown>[] {
  const pending: Promise<unknown>[] = [];
  for (const reporter of reporters) {
    try {
      const result: unknown = reporter(report);
      if ((typeof result === 'object' || typeof result === 'function') && result !== null) {
        // Reading `then` of a hostile thenable may throw too: still inside the try.
        const then = (result as { then?: unknown }).then;
        if (typeof then === 'function') {
          pending.push(
            new Promise<unknown>((resolve) => {
              const failed = (error: unknown): void => {
                safely(onFailure, error);
                resolve(undefined);
              };
              try {
                (then as (ok: (v: unknown) => void, fail: (e: unknown) => void) => unknown).call(result, resolve, failed);
              } catch (error) {
                // Never a rejected promise here: that would be an unhandled rejection of our own.
                failed(error);
              }
            }),
          );
        }
      }
    } catch (error) {
      safely(onFailure, error);
    }
  }
  return pending;
}

function safely(hook: ReporterFailureHook, error: unknown): void {
  try {
    hook(error);
  } catch {
    // The failure hook itself failed: nothing more can be done without recursing.
  }
}

/**
 * A reporter that writes one JSON object per report: to `logger.error(object,
 * message)` when a pino-compatible logger is given, else as one JSON line on
 * stderr (`{"level":"error","time":…,"msg":…}`). Keys are snake_case like
 * `@ward/logger`'s; the headers are already redacted, and neither the query
 * string nor the body is ever in a report.
 *
 * @example
 * import pino from 'pino';
 * recovery({ onError: jsonReporter(pino()) });
 * @example
 * recovery({ onError: jsonReporter() }); // stderr, the default
 */
export function jsonReporter(logger?: ErrorLogger): RecoveryReporter<AnyReport> {
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function')) {
    throw new TypeError(
      `jsonReporter(logger): logger must have an error(object, message) method (pino, console), got ${logger === null ? 'null' : typeof logger}`,
    );
  }
  if (logger !== undefined) {
    return function jsonReporter(report) {
      logger.error(reportRecord(report), messageOf(report));
    };
  }
  return function jsonReporter(report) {
    const line = JSON.stringify({ level: 'error', time: report.time, msg: messageOf(report), ...reportRecord(report) });
    process.stderr.write(`${line}\n`);
  };
}

/** The JSON-safe record of a report (snake_case keys; undefined members left out by JSON). */
export function reportRecord(report: AnyReport): Record<string, unknown> {
  // `error`, not `err`: pino's default serializer would rewrite an `err` that is not an Error instance.
  const error = { kind: report.kind, name: report.name, message: report.message, stack: report.stack };
  if (report.source !== 'request') {
    return { source: report.source, time: report.time, fatal: report.fatal, error };
  }
  return {
    source: report.source,
    time: report.time,
    request_id: report.requestId,
    trace_id: report.traceId,
    method: report.method,
    route: report.route,
    path: report.path,
    user_id: report.userId,
    status: report.status,
    code: report.code,
    committed: report.committed,
    error,
    headers: report.headers,
  };
}

function messageOf(report: AnyReport): string {
  switch (report.source) {
    case 'request':
      return report.committed ? 'request failed after the response started; connection cut' : 'request failed';
    case 'uncaughtException':
      return 'uncaught exception';
    case 'unhandledRejection':
      return 'unhandled promise rejection';
  }
}
