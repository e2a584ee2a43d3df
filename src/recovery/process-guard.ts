/**
 * The optional process guard: `uncaughtException` and `unhandledRejection`
 * reported with the same reporters as requests.
 *
 * Node's documentation says that after an uncaught exception the process is
 * "not safe to resume normal operation", so by default the guard reports and
 * then exits non-zero (let the supervisor restart it), exactly as Node would
 * without it — only with a report first. Unhandled rejections also exit by
 * default, which is Node's own default since v15 (`--unhandled-rejections=throw`).
 * Before exiting, the guard waits for reporters' promises (a Sentry flush, a
 * log shipper) for at most `flushTimeoutMs`.
 */
import { toError, isErrorValue, errorFacts } from './normalize.js';
import { DEFAULT_MAX_STACK_CHARS, describe } from './options.js';
import { type ProcessErrorReport, isoTime } from './report.js';
import { type RecoveryReporter, dispatch, jsonReporter, resolveReporters } from './reporters.js';

/** Options of {@link installProcessGuard}. */
export interface ProcessGuardOptions {
  /** Hooks that receive a {@link ProcessErrorReport}: one function or an array. Default: `jsonReporter()` (stderr). */
  onError?: RecoveryReporter<ProcessErrorReport> | readonly RecoveryReporter<ProcessErrorReport>[];
  /**
   * Exit after reporting an uncaught exception. Default: `true` (Node's
   * advice). `false` keeps the process running in an unknown state: only for
   * a process that restarts itself some other way.
   */
  exitOnUncaughtException?: boolean;
  /**
   * Exit after reporting an unhandled rejection. Default: `true` (Node's own
   * default). `false` reports and keeps running, like `--unhandled-rejections=warn`.
   */
  exitOnUnhandledRejection?: boolean;
  /** The exit code. Default: `1`. */
  exitCode?: number;
  /** Longest wait for reporters' promises before exiting, in milliseconds. Default: `2000`. */
  flushTimeoutMs?: number;
  /** Characters of stack trace kept in a report. Default: `4096`. */
  maxStackChars?: number;
  /** Clock for the report's `time`, in milliseconds since the epoch. Default: `Date.now`. */
  now?: () => number;
}

/** Marks the process while a guard is installed (shared by every copy of this package). */
const INSTALLED = Symbol.for('ward.recovery.processGuard');

/**
 * Reports `uncaughtException` and `unhandledRejection` to `onError` and, by
 * default, exits with code 1 once the reporters have flushed (at most
 * `flushTimeoutMs`). Returns a function that removes the guard (an exit
 * already under way still happens). One guard per process.
 *
 * @example
 * const uninstall = installProcessGuard({ onError: jsonReporter(logger) });
 */
export function installProcessGuard(options: ProcessGuardOptions = {}): () => void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`installProcessGuard(options): options must be an object, got ${describe(options)}`);
  }
  const reporters = resolveReporters(options.onError, jsonReporter(), 'installProcessGuard({ onError })');
  const exitOnUncaught = flag(options.exitOnUncaughtException, 'exitOnUncaughtException');
  const exitOnRejection = flag(options.exitOnUnhandledRejection, 'exitOnUnhandledRejection');
  const exitCode = integer(options.exitCode, 1, 'exitCode', 0, 255);
  const flushTimeoutMs = integer(options.flushTimeoutMs, 2000, 'flushTimeoutMs', 0, 2_147_483_647);
  const maxStackChars = integer(options.maxStackChars, DEFAULT_MAX_STACK_CHARS, 'maxStackChars', 0, Number.MAX_SAFE_INTEGER);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') {
    throw new TypeError(`installProcessGuard({ now }) must be a function returning milliseconds since the epoch, got ${describe(now)}`);
  }
  const marked = process as unknown as Record<symbol, unknown>;
  if (marked[INSTALLED] === true) {
    throw new Error('installProcessGuard(): a guard is already installed in this process; call the function it returned to remove it first');
  }

  let exiting = false;
  const handle = (source: ProcessErrorReport['source'], thrown: unknown, fatal: boolean): void => {
    const error = toError(thrown);
    const { name, message, stack } = errorFacts(error, maxStackChars);
    const report: ProcessErrorReport = {
      source,
      kind: isErrorValue(thrown) ? 'error' : 'non_error',
      error,
      name,
      message,
      stack,
      time: isoTime(now),
      fatal: fatal || exiting,
    };
    const pending = dispatch(reporters, report, noop);
    if (!fatal || exiting) return;
    exiting = true;
    // Unref'd: the wait never keeps a process alive that has nothing else to do.
    process.exitCode = exitCode;
    const timer = setTimeout(exit, flushTimeoutMs);
    timer.unref();
    void Promise.all(pending).then(exit);
  };
  const exit = (): void => {
    process.exit(exitCode);
  };
  const onUncaught = (error: unknown): void => handle('uncaughtException', error, exitOnUncaught);
  const onRejection = (reason: unknown): void => handle('unhandledRejection', reason, exitOnRejection);

  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);
  marked[INSTALLED] = true;
  let installed = true;
  return function uninstallProcessGuard(): void {
    if (!installed) return;
    installed = false;
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
    marked[INSTALLED] = false;
  };
}

function noop(): void {}

function flag(value: boolean | undefined, name: string): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') throw new TypeError(`installProcessGuard({ ${name} }) must be a boolean, got ${describe(value)}`);
  return value;
}

function integer(value: number | undefined, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`installProcessGuard({ ${name} }) must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`installProcessGuard({ ${name} }) must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
