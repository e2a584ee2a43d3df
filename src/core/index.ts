/**
 * @ward/core — the contract every ward middleware and adapter keeps:
 * `Context`, `Middleware`, `compose`, `HttpError`, problem+json, client IP,
 * middleware metadata, and the shared node-backed context the adapters use.
 */
export type {
  AdapterName,
  Context,
  HeaderRecord,
  HeaderValue,
  Middleware,
  Next,
  ResponseBody,
  WardRequest,
  WardResponse,
  WardState,
} from './types.js';
export { callAsync } from './call-async.js';
export { describeValue } from './describe-value.js';
export { compose, NextCalledTwiceError, type ComposedMiddleware } from './compose.js';
export {
  ClientClosedError,
  HttpError,
  answeredStatus,
  conventionalHttpError,
  conventionalStatus,
  hasBrand,
  inspectableError,
  isHttpError,
  isWardError,
  statusTitle,
  WardError,
  type HttpErrorOptions,
  type WardErrorCode,
} from './errors.js';
export {
  defaultProblemOptions,
  formatProblem,
  PROBLEM_CONTENT_TYPE,
  problemOptions,
  toHttpError,
  type ProblemDetails,
  type ProblemFormatter,
  type ProblemOptions,
} from './problem.js';
export { clientResolver, type ClientResolver, type TrustProxy } from './client-ip.js';
export { parseHttpDate } from './http-date.js';
export {
  REDACTED,
  SENSITIVE_HEADERS,
  assertMiddleware,
  defineMiddleware,
  describeChain,
  describeMiddleware,
  markFactory,
  redact,
  type MiddlewareDescription,
} from './metadata.js';
export {
  bodyOptions,
  bodyTypeOf,
  DEFAULT_BODY_LIMIT_BYTES,
  parseBody,
  parseJson,
  readRawBody,
  type BodyOptions,
  type BodyType,
} from './body.js';
export { createContext, contextSettings, NodeContext, originForm, type AdapterOptions, type ContextSettings } from './context.js';
export { NodeResponse, writeResponse } from './response.js';
export { ResponseCapture, type CaptureOptions } from './capture.js';
export { answerUnhandled, commitContext, dropRepresentationHeaders, isServerFault, problemInstead } from './lifecycle.js';
export { ensureReady, runScript, storeClient, withDeadline, type ConnectableClient, type ScriptingClient } from './store-client.js';
