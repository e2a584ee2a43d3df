/**
 * Writing one record to the configured logger without ever letting the
 * logger break the response (OWASP Logging Cheat Sheet: "Test the effect …
 * of logging failures"): a throw is caught, a returned promise that rejects
 * is caught, and both are counted in `ward_logger_errors_total`.
 */
import { type WardMetricsOptions, resolveMetricsOptions, wardCounter } from '@ward/metrics';
import { describeValue } from '@ward/core';
import type { LogLevel, StructuredLogger } from './types.js';

/** Which log a counter child belongs to. */
export type LogName = 'access' | 'audit';

/** Where a logging failure happened: the logger itself, or a user hook. */
export type FailureStage = 'write' | 'user_id' | 'skip';

/** Counts logging failures by stage, for one log. */
export interface FailureCounter {
  inc(stage: FailureStage): void;
}

/** Checks the `logger` option: an object with `info`, `warn` and `error` methods. */
export function checkLogger(value: unknown, where: string): StructuredLogger {
  if (typeof value !== 'object' && typeof value !== 'function') {
    throw new TypeError(`${where} must be a pino-compatible logger with info/warn/error methods (e.g. pino()), got ${describeValue(value)}`);
  }
  if (value === null) throw new TypeError(`${where} must be a pino-compatible logger, got null`);
  for (const method of ['info', 'warn', 'error'] as const) {
    if (typeof (value as Record<string, unknown>)[method] !== 'function') {
      throw new TypeError(`${where} must have an ${method}(record, message) method (pino-compatible), got ${describeValue(value)} without it`);
    }
  }
  return value as StructuredLogger;
}

/**
 * The `ward_logger_errors_total{log, stage}` counter's children for one
 * log, resolved once at factory time.
 */
export function failureCounter(metrics: WardMetricsOptions | undefined, log: LogName, where: string): FailureCounter {
  const { registry, prefix } = resolveMetricsOptions(metrics, where);
  const counter = wardCounter(registry, {
    prefix,
    name: 'logger_errors_total',
    help: 'Access/audit records not written as intended, by log and stage: write (the logger threw or rejected), user_id or skip (that hook threw).',
    labelNames: ['log', 'stage'],
  });
  const write = counter.labels(log, 'write');
  const userId = counter.labels(log, 'user_id');
  const skip = counter.labels(log, 'skip');
  return {
    inc(stage) {
      if (stage === 'write') write.inc();
      else if (stage === 'user_id') userId.inc();
      else skip.inc();
    },
  };
}

/** Writes one record at `level`; never throws. */
export function writeRecord(
  logger: StructuredLogger,
  level: LogLevel,
  record: object,
  message: string,
  failures: FailureCounter,
  onRejected: (reason: unknown) => void,
): void {
  try {
    const result: unknown =
      level === 'info' ? logger.info(record, message) : level === 'warn' ? logger.warn(record, message) : logger.error(record, message);
    // An async logger: its rejection must not become an unhandled rejection.
    if (result !== undefined && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, onRejected);
    }
  } catch {
    failures.inc('write');
  }
}
