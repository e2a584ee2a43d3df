/**
 * RFC 9457 problem+json bodies for the native error handlers of the Express
 * and Fastify examples, made by @ward/core's own formatter so they are
 * byte-for-byte the shape the engine and every ward middleware answer with.
 */
import { HttpError, PROBLEM_CONTENT_TYPE, defaultProblemOptions, formatProblem, isHttpError } from '@ward/core';

export { PROBLEM_CONTENT_TYPE };

/**
 * Errors the frameworks raise themselves (body parsers, Fastify's content
 * type checks) carry a 4xx `status`/`statusCode`; keep it, with a stable code.
 *
 * @param {unknown} error
 * @returns {HttpError}
 */
export function asHttpError(error) {
  if (isHttpError(error)) return error;
  const e = /** @type {{ status?: unknown, statusCode?: unknown, type?: unknown, code?: unknown } | null} */ (
    typeof error === 'object' ? error : null
  );
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status < 400 || status > 499) return new HttpError(500, { cause: error });
  // body-parser (Express) and Fastify name a broken JSON body differently.
  if (e?.type === 'entity.parse.failed' || e?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new HttpError(400, { code: 'INVALID_JSON', detail: 'The request body is not valid JSON', cause: error });
  }
  if (e?.type === 'entity.too.large' || e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new HttpError(413, { code: 'PAYLOAD_TOO_LARGE', cause: error });
  }
  if (status === 414 || e?.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new HttpError(414, { code: 'URI_TOO_LONG', cause: error });
  }
  if (status === 415 || e?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new HttpError(415, { code: 'UNSUPPORTED_MEDIA_TYPE', cause: error });
  }
  // Other 4xx from the framework: keep the status, the code follows from it.
  return new HttpError(status, { cause: error });
}

/**
 * The 404 of a request no route matched, worded as the engine words it.
 *
 * @param {string} method
 * @param {string} path the path without the query
 * @returns {HttpError}
 */
export function routeNotFound(method, path) {
  return new HttpError(404, { detail: `No route for ${method} ${path}` });
}

/**
 * The problem+json body of an error (5xx details stay in the process).
 *
 * @param {HttpError} error
 * @returns {string}
 */
export function problemBody(error) {
  // The default formatter only reads ctx.state (for the request id).
  const ctx = /** @type {import('@ward/core').Context} */ (/** @type {unknown} */ ({ state: {} }));
  return JSON.stringify(formatProblem(error, ctx, defaultProblemOptions));
}
