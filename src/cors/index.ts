/**
 * @ward/cors — CORS with origin allowlists, anchored patterns or an (async)
 * origin function: `Vary` always right, preflights answered 204, refused
 * origins get no CORS headers and never a 5xx, refusals counted in
 * `ward_cors_rejected_total{reason}`.
 */
export { cors } from './middleware.js';
export {
  DEFAULT_MAX_AGE_SEC,
  DEFAULT_METHODS,
  MAX_MAX_AGE_SEC,
  type CorsOptions,
  type CorsOrigin,
  type CorsRejection,
  type CorsRejectReason,
  type OriginFunction,
} from './options.js';
export { isSerializedOrigin, MAX_ORIGIN_LENGTH, normalizeOrigin } from './origin.js';
