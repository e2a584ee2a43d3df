/**
 * The default destination: a pino-compatible logger that writes one JSON
 * object per line — `{"level":"info","time":"<ISO 8601 UTC>","msg":"…",…}` —
 * to `process.stdout` or any `write(string)` target.
 *
 * Lines finished in one turn of the event loop are gathered and written
 * with one `write()` call once that turn is over (or as soon as 64 KiB are
 * pending), so a busy server makes one system call per turn instead of one
 * per request. While a stream destination is still busy with an earlier
 * write (`writableLength > 0`), that write waits up to 8 more turns and
 * takes their lines too (they would only wait in the stream's buffer).
 * Pending lines are written synchronously when the process exits
 * (`process.on('exit')`, which also runs after an uncaught exception); a
 * process killed by a signal it does not handle loses the lines not yet
 * written: its last turn's, or those of the few turns a busy stream was
 * still working through. `sync: true` writes every line at once.
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

/**
 * Turns the end-of-turn write may wait while the destination is still
 * writing an earlier chunk (a stream's `writableLength > 0`), so that a
 * busy file stream gets fewer, larger writes. Bounded, so that a stalled
 * destination costs a few turns, not a spin.
 */
const MAX_DEFERRED_TURNS = 8;

/** True when `destination` is a stream that has not finished writing what it was given. */
function isBusy(destination: LineDestination): boolean {
  try {
    const length = (destination as { writableLength?: unknown }).writableLength;
    return typeof length === 'number' && length > 0;
  } catch {
    return false;
  }
}

/** The last whole second and millisecond formatted, and their ISO 8601 text. */
let isoSecond = Number.NaN;
let isoSecondPrefix = '';
let isoMilli = Number.NaN;
let isoMilliText = '';

/** Epoch milliseconds of 10000-01-01: below it, `toISOString()` has a 4-digit year. */
const FOUR_DIGIT_YEARS_END = 253_402_300_800_000;

/**
 * `new Date(ms).toISOString()`, from a cache: the text of the last
 * millisecond, else the last second's `YYYY-MM-DDTHH:MM:SS.` plus the
 * milliseconds. Anything unusual (not a number, negative, NaN, past year
 * 9999) goes to `toISOString()` itself, which also throws what it throws.
 */
function isoTime(ms: number): string {
  if (typeof ms === 'number' && ms >= 0 && ms < FOUR_DIGIT_YEARS_END) {
    // Date truncates fractions; for ms ≥ 0 that is floor.
    const whole = Math.floor(ms);
    if (whole === isoMilli) return isoMilliText;
    const milli = whole % 1000;
    const second = whole - milli;
    if (second !== isoSecond) {
      isoSecondPrefix = new Date(second).toISOString().slice(0, 20);
      isoSecond = second;
    }
    isoMilliText = `${isoSecondPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
    isoMilli = whole;
    return isoMilliText;
  }
  return new Date(ms).toISOString();
}

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
  #deferredTurns = 0;
  #lastMessage: string | undefined = undefined;
  #lastMessageJson = '';
  readonly #flushLater = (): void => {
    this.#scheduled = false;
    if (this.#buffer !== '' && this.#deferredTurns < MAX_DEFERRED_TURNS && isBusy(this.#destination)) {
      // The destination is still writing an earlier chunk: the lines would only wait in its
      // buffer, so they wait in ours and go out with the next turn's, in one write.
      this.#deferredTurns += 1;
      this.#scheduled = true;
      afterThisTurn(this.#flushLater);
      return;
    }
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
    this.#deferredTurns = 0;
    const chunk = this.#buffer;
    if (chunk === '') return;
    this.#buffer = '';
    this.#write(chunk);
  }

  #line(level: LogLevel, given: object, message: string | undefined): void {
    let record: unknown = given;
    // Called as pino may be (`info('started')`, `info(null)`, `info([…])`): the value becomes the message, never a broken line.
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      if (message === undefined && typeof record === 'string') message = record;
      else if (record !== undefined && record !== null) record = { value: record };
      if (typeof record !== 'object' || record === null || Array.isArray(record)) record = {};
    }
    // Records are flat objects of strings, numbers and booleans: one small stringify.
    const fields = JSON.stringify(record);
    let line = `{"level":"${level}","time":"${isoTime(this.#clock())}"`;
    if (message !== undefined) line += `,"msg":${this.#messageJson(message)}`;
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

  /** `JSON.stringify(String(message))`, remembered for the last message (callers log a handful of fixed ones). */
  #messageJson(message: string): string {
    if (typeof message !== 'string') return JSON.stringify(String(message));
    if (message !== this.#lastMessage) {
      this.#lastMessageJson = JSON.stringify(message);
      this.#lastMessage = message;
    }
    return this.#lastMessageJson;
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
