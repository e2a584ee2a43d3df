/**
 * `frameworkErrors()`: a small example middleware that sits right inside
 * `recovery()`. Frameworks raise their own client errors as plain `Error`s
 * with a 4xx `status`: body-parser's 400 for broken JSON and 413 for a body
 * over the limit, Express's 400 for a malformed percent-escape in a path.
 * On Express those reach the ward chain (ward gets a route's errors first).
 * `recovery()` keeps such a status by itself (the http-errors convention),
 * with the generic code of the status (`BAD_REQUEST`); this turns them into
 * the same `HttpError`s the engine and the native error handlers make
 * (server/problem.js: `INVALID_JSON`, `PAYLOAD_TOO_LARGE`, `BAD_REQUEST`…),
 * so every example answers broken JSON with the same code. Everything else — an
 * `HttpError`, a server fault, a thrown non-Error — passes unchanged, so
 * recovery still classifies and reports it. On the engine (whose errors are
 * `HttpError`s already) and on Fastify (whose own 4xx are answers, not
 * rejections) it only passes errors through.
 */
import { defineMiddleware, isHttpError, markFactory } from '@ward/core';
import { asHttpError } from '../problem.js';

/**
 * @returns {import('@ward/core').Middleware}
 * @example
 * app.use(ward([recovery(), frameworkErrors(), …]));
 */
export function frameworkErrors() {
  return defineMiddleware('frameworkErrors', {}, async function frameworkErrors(_ctx, next) {
    try {
      await next();
    } catch (error) {
      throw !isHttpError(error) && isClientErrorStatus(error) ? mapped(error) : error;
    }
  });
}
markFactory(frameworkErrors);

/**
 * The framework error as an `HttpError`; the error itself if reading it
 * fails (a getter that answered once and throws the second time).
 *
 * @param {unknown} error
 * @returns {unknown}
 */
function mapped(error) {
  try {
    return asHttpError(error);
  } catch {
    return error;
  }
}

/**
 * True for an object carrying a 4xx `status` or `statusCode` (the
 * http-errors convention body-parser and Express use). Reads are guarded: a
 * thrown value may be a Proxy or have throwing getters; then it is a fault
 * for recovery, not a client error.
 *
 * @param {unknown} error
 * @returns {boolean}
 */
function isClientErrorStatus(error) {
  if (typeof error !== 'object' || error === null) return false;
  try {
    const e = /** @type {{ status?: unknown, statusCode?: unknown }} */ (error);
    const status = typeof e.status === 'number' ? e.status : e.statusCode;
    return typeof status === 'number' && status >= 400 && status <= 499;
  } catch {
    return false;
  }
}
