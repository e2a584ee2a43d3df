/**
 * The engine's options, validated once in `new Engine()`: a wrong type is a
 * TypeError, a bad value a RangeError, each naming the option and the fix.
 */
import { type AdapterOptions, contextSettings } from '@ward/core';
import { type EngineContextSettings, type EngineErrorReporter, printError } from './context.js';

/** Options of `new Engine()`. Core's adapter options apply as on every adapter. */
export interface EngineOptions extends AdapterOptions {
  /**
   * When no route matches but the path with (or without) a trailing slash
   * does, redirect there: 301 for GET and HEAD, 308 (method and body kept)
   * for the others; the query string is kept. Default: `true`, as in Gin.
   * Never redirects to a path starting with `//` (an open redirect).
   */
  redirectTrailingSlash?: boolean;
  /**
   * Called with every error no middleware handled that is a server fault
   * (not a 4xx `HttpError`, not a client that left), and with streams that
   * failed on the server's side. The client gets a 500 problem+json, or a
   * cut connection once streaming. Default: prints the error to stderr.
   */
  onError?: EngineErrorReporter;
}

/** Options resolved for the request path. */
export interface ResolvedEngineOptions {
  readonly settings: EngineContextSettings;
  readonly redirectTrailingSlash: boolean;
  readonly onError: EngineErrorReporter;
}

/** Validates {@link EngineOptions}; throws a TypeError or RangeError naming the option. */
export function resolveEngineOptions(options: EngineOptions | undefined): ResolvedEngineOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`new Engine(options): options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const { redirectTrailingSlash = true, onError = printError } = options;
  if (typeof redirectTrailingSlash !== 'boolean') {
    throw new TypeError(`new Engine(options): redirectTrailingSlash must be a boolean, got ${JSON.stringify(redirectTrailingSlash)}`);
  }
  if (typeof onError !== 'function') {
    throw new TypeError(
      `new Engine(options): onError must be a function (error, ctx) => void, got ${onError === null ? 'null' : typeof onError}`,
    );
  }
  const settings: EngineContextSettings = Object.freeze({ ...contextSettings('engine', options), onError });
  return { settings, redirectTrailingSlash, onError };
}
