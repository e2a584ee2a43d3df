/**
 * Options of the Express adapter, validated once when `ward()` is called so
 * a mistake fails at start, not on the first request.
 */
import type { AdapterOptions, CaptureOptions } from '@ward/core';
import type { Request } from 'express';

/** Options of {@link ward}. Everything of `AdapterOptions` (trustProxy, problemFormatter, development, body…) applies. */
export interface ExpressAdapterOptions extends AdapterOptions {
  /**
   * Put ward's error-catching layer into the app on the first request, so
   * that errors thrown by Express route handlers reach the ward chain before
   * your own error handlers (rule 5). Set `false` to place
   * `wardErrorHandler()` by hand instead. Default: `true`.
   */
  autoCatch?: boolean;
  /**
   * Bytes of an Express handler's body held for deferred commit; a body that
   * grows past it is streamed instead (`ctx.res.committed` becomes true).
   * Default: 1 MiB (1 048 576).
   */
  bufferLimitBytes?: number;
  /**
   * Called with an error that Express code raised after ward had already
   * answered (a handler still running when a timeout answered, a write after
   * the response). The error cannot change the answer and is not passed to
   * Express (whose final handler would cut the connection). Default: ignored.
   */
  onLateError?: (error: unknown, req: Request) => void;
}

/** The adapter-specific part of the options, resolved. */
export interface ResolvedExpressOptions {
  readonly autoCatch: boolean;
  readonly capture: CaptureOptions;
  readonly onLateError: ((error: unknown, req: Request) => void) | undefined;
}

/** Validates the Express-specific options; throws TypeError/RangeError naming the option. */
export function resolveExpressOptions(options: ExpressAdapterOptions): ResolvedExpressOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      `ward(middleware, options): options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`,
    );
  }
  const { autoCatch = true, bufferLimitBytes, onLateError } = options;
  if (typeof autoCatch !== 'boolean') {
    throw new TypeError(`ward options.autoCatch must be a boolean, got ${describe(autoCatch)}`);
  }
  if (bufferLimitBytes !== undefined) {
    if (typeof bufferLimitBytes !== 'number') {
      throw new TypeError(`ward options.bufferLimitBytes must be a number of bytes, got ${describe(bufferLimitBytes)}`);
    }
    if (!Number.isSafeInteger(bufferLimitBytes) || bufferLimitBytes < 1) {
      throw new RangeError(
        `ward options.bufferLimitBytes must be a positive integer of bytes, got ${String(bufferLimitBytes)} (e.g. 1048576 for 1 MiB)`,
      );
    }
  }
  if (onLateError !== undefined && typeof onLateError !== 'function') {
    throw new TypeError(`ward options.onLateError must be a function (error, req) => void, got ${describe(onLateError)}`);
  }
  return Object.freeze({
    autoCatch,
    capture: Object.freeze({ bufferLimitBytes }),
    onLateError,
  });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value)}`;
    case 'function':
      return 'a function';
    case 'object':
      return Array.isArray(value) ? 'an array' : 'an object';
    default:
      return `${typeof value} ${String(value)}`;
  }
}
