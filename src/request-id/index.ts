/**
 * @ward/request-id — one safe id per request (reused from `X-Request-ID`
 * only when safe), W3C `traceparent` parsing and propagation, and
 * `AsyncLocalStorage` access to both from any code running inside the
 * request.
 */
export { requestId } from './middleware.js';
export { DEFAULT_HEADER, type RequestIdOptions } from './options.js';
export { getRequestContext, getRequestId, propagationHeaders, type RequestContext } from './storage.js';
export { isSafeRequestId, MAX_REQUEST_ID_LENGTH } from './id.js';
export { MAX_TRACESTATE_LENGTH, parseTraceparent, type ParsedTraceparent, type TraceContext } from './trace-context.js';
export { InvalidGeneratedIdError, isInvalidGeneratedIdError } from './errors.js';
export type { RandomFill } from './random.js';
