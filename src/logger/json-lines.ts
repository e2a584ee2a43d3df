/**
 * The default destination: a pino-compatible logger that writes one JSON
 * object per line — `{"level":"info","time":"<ISO 8601 UTC>","msg":"…",…}` —
 * to `process.stdout` or any `write(string)` target.
 *
 * Lines finished in one turn of the event loop are gathered and written
 * with one `write()` call once that turn is over (or as soon as 64 KiB are
 * pending), so a busy server makes one system call per turn instead of one
 * per request. Pending lines are written synchronously when the process
 * exits (`process.on('exit')`, which also runs after an uncaught
 * exception); a process killed by a signal it does not handle loses at most
 * the lines of its last turn. `sync: true` writes every line at once.
 */
import { setImmediate as afterThisTurn } from 'node:timers';
import { describeValue } from '@ward/core';
import type { LogLevel, StructuredLogger } from './types.js';

/** Anything lines can be written to: `process.stdout`, a file stream, a pino/sonic-boom destination. */
export interface LineDestination {
  write(chunk: string): unknown;
}

/** Options of {@link jsonLinesLogger}. */
export interface JsonLinesOptions {
  /** Where lines go. Default: `process.stdout`. */
  destination?: LineDestination;
  /**
   * Write each line at once, instead of gathering the lines of one turn of
   * the event loop into one write. Default: `false`.
   */
  sync?: boolean;
  /** Wall clock for `time`, in epoch milliseconds. Default: `Date.now`. */
  clock?: () => number;
  /**
   * Called when the destination throws on `write()`. Default: one process
   * warning (`WARD_LOGGER_WRITE_FAILED`) per logger, then silence — the
   * logs are what is broken, so they cannot report it. Errors the
   * destination emits later (an `'error'` event) are the destination's own.
   */
  onError?: (error: unknown) => void;
}

/** A {@link StructuredLogger} writing JSON lines; `flush()` writes pending lines now. */
export interface JsonLinesLogger extends StructuredLogger {
  info(record: object, message?: string): void;
  warn(record: object, message?: string): void;
  error(record: object, message?: string): void;
  /** Writes the pending lines now (before a planned exit, in tests). */
  flush(): void;
}

/** Pending bytes (UTF-16 units, near enough) that trigger an early write. */
const FLUSH_AT = 64 * 1024;

/** Loggers holding lines not yet written, flushed synchronously on exit. */
const pending = new Set<JsonLinesWriter>();
let exitHookInstalled = false;

function flushAllOnExit(): void {
  for (const writer of pending) writer.flush();
}

class JsonLinesWriter implements JsonLinesLogger {
  readonly #destination: LineDestination;
  readonly #sync: boolean;
  readonly #clock: () => number;
  readonly #onError: (error: unknown) => void;
  #buffer = '';
  #scheduled = false;
  readonly #flushLater = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  constructor(destination: LineDestination, sync: boolean, clock: () => number, onError: (error: unknown) => void) {
    this.#destination = destination;
    this.#sync = sync;
    this.#clock = clock;
    this.#onError = onError;
  }

  info(record: object, message?: string): void {
    this.#line('info', record, message);
  }

  warn(record: object, message?: string): void {
    this.#line('warn', record, message);
  }

  error(record: object, message?: string): void {
    this.#line('error', record, message);
  }

  flush(): void {
    pending.delete(this);
    const chunk = this.#buffer;
    if (chunk === '') return;
    this.#buffer = '';
    this.#write(chunk);
  }

  #line(level: LogLevel, record: object, message: string | undefined): void {
    // Records are flat objects of strings, numbers and booleans: one small stringify.
    const fields = JSON.stringify(record);
    let line = `{"level":"${level}","time":"${new Date(this.#clock()).toISOString()}"`;
    if (message !== undefined) line += `,"msg":${JSON.stringify(String(message))}`;
    line += fields.length > 2 ? `,${fields.slice(1)}\n` : '}\n';
    if (this.#sync) {
      this.#write(line);
      return;
    }
    if (this.#buffer === '') {
      pending.add(this);
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        process.on('exit', flushAllOnExit);
      }
    }
    this.#buffer += line;
    if (this.#buffer.length >= FLUSH_AT) {
      this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      afterThisTurn(this.#flushLater);
    }
  }

  #write(chunk: string): void {
    try {
      this.#destination.write(chunk);
    } catch (error) {
      try {
        this.#onError(error);
      } catch {
        // An error handler that throws has nowhere left to report to.
      }
    }
  }
}

/**
 * A pino-compatible logger that writes JSON lines (`level`, ISO `time`,
 * `msg`, then the record's fields) to stdout or another destination. The
 * default logger of `accessLog()` and `auditLog()`; create your own to send
 * the audit trail somewhere else.
 *
 * @example
 * import { createWriteStream } from 'node:fs';
 * const audit = auditLog({ logger: jsonLinesLogger({ destination: createWriteStream('audit.log', { flags: 'a' }) }) });
 */
export function jsonLinesLogger(options: JsonLinesOptions = {}): JsonLinesLogger {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`jsonLinesLogger(options): options must be an object, got ${describeValue(options)}`);
  }
  const destination = options.destination ?? process.stdout;
  if (typeof destination !== 'object' || destination === null || typeof destination.write !== 'function') {
    throw new TypeError(`jsonLinesLogger({ destination }) must have a write(string) method (process.stdout, a file stream), got ${describeValue(destination)}`);
  }
  const sync = options.sync ?? false;
  if (typeof sync !== 'boolean') throw new TypeError(`jsonLinesLogger({ sync }) must be true or false, got ${describeValue(sync)}`);
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') throw new TypeError(`jsonLinesLogger({ clock }) must be a function returning epoch milliseconds, got ${describeValue(clock)}`);
  let onError = options.onError;
  if (onError !== undefined && typeof onError !== 'function') {
    throw new TypeError(`jsonLinesLogger({ onError }) must be a function (error) => void, got ${describeValue(onError)}`);
  }
  if (onError === undefined) {
    let warned = false;
    onError = (error: unknown) => {
      if (warned) return;
      warned = true;
      const code = (error as { code?: unknown } | null)?.code;
      process.emitWarning(`@ward/logger: the log destination threw on write${typeof code === 'string' ? ` (${code})` : ''}; further failures are not reported`, {
        code: 'WARD_LOGGER_WRITE_FAILED',
      });
    };
  }
  return new JsonLinesWriter(destination, sync, clock, onError);
}
