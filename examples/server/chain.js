/**
 * THE ward chain of the examples, in one place. The engine server, the
 * Express example and the Fastify example all mount exactly this list, so
 * they behave the same. Order matters (onion): the first entry wraps all
 * the others.
 *
 *   httpMetrics        — first, so it times and counts everything below
 *   requestId          — every answer (errors included) and log line carries the id
 *   accessLog          — one JSON line per request, with the id; outside
 *                        recovery, so recovery's 500 is what it logs
 *   recovery           — anything thrown below becomes one problem+json
 *                        answer with the request id; 5xx reported to onError
 *   frameworkErrors    — (example) body-parser's 400/413 and Express's 400
 *                        with the engine's codes (INVALID_JSON…)
 *   timeout            — the budget of everything below: 503 problem, ctx.signal aborted
 *   securityHeaders    — nosniff, X-Frame-Options…, X-Powered-By removed;
 *                        set before next(), so error and timeout answers have them
 *   cors               — allowed origins get the CORS headers (also on
 *                        errors), preflights answered 204 here
 *   authLimit          — 10/min per address on /api/auth/ (login guessing):
 *                        429 problems with Retry-After; after cors, so a
 *                        refused browser call can still read it; before any
 *                        token is looked at
 *   addressLimit       — 3 000/min per address on /api/, before any token
 *                        is verified: a flood of bad tokens (each a 401
 *                        that apiLimit never sees) is slowed too
 *   identify           — jwtAuth in optional mode: a valid bearer token sets
 *                        ctx.state.user, a bad one is a 401, none passes
 *                        anonymously; each route group then says who it
 *                        needs (requireUser, requireRole('admin'))
 *   apiLimit           — 1 000/min on /api/, per user (after identify), else
 *                        per address
 *   auditLog           — who did what, for POST/PUT/DELETE; after identify,
 *                        so user_id is known
 *   (cache)            — later issue
 *   serverTiming       — last, closest to the handler
 */
import { cors } from '@ward/cors';
import { accessLog, auditLog } from '@ward/logger';
import { httpMetrics } from '@ward/metrics';
import { recovery } from '@ward/recovery';
import { requestId } from '@ward/request-id';
import { securityHeaders } from '@ward/security-headers';
import { timeout } from '@ward/timeout';
import { DEFAULT_CORS_ORIGINS, DEFAULT_REQUEST_TIMEOUT_MS } from './env.js';
import { rateLimits } from './rate-limits.js';
import { frameworkErrors } from './middleware/framework-errors.js';
import { serverTiming } from './middleware/server-timing.js';

/**
 * @typedef {object} ChainOptions
 * @property {import('@ward/metrics').MetricsRegistry} registry where the metrics go (the one `/metrics` serves)
 * @property {import('@ward/logger').StructuredLogger} [logger] where access and audit records go: any
 *   pino-compatible logger (`info/warn/error(record, msg)`). Default: JSON lines on stdout (@ward/logger's own).
 * @property {readonly string[]} [corsOrigins] origins allowed to read the API from a browser
 *   (main.js passes `CORS_ORIGINS`, see env.js). Default: `['http://localhost:5173']`.
 * @property {number} [timeoutMs] budget of one request in ms; then 503 `TIMEOUT`
 *   (main.js passes `REQUEST_TIMEOUT_MS`). Default: 10 000.
 * @property {import('@ward/recovery').RecoveryReporter | import('@ward/recovery').RecoveryReporter[]} [onError]
 *   receives recovery's report of every server fault (5xx): the error, request id, route, redacted
 *   headers. Default: one JSON line on stderr (`jsonReporter()`).
 * @property {import('@ward/rate-limit').RateLimitStore} [rateLimitStore] where the rate-limit buckets live
 *   (main.js passes a RedisStore when REDIS_URL is set). Default: a new MemoryStore per chain.
 * @property {import('@ward/rate-limit').RateLimitPolicy} [apiLimit] the general `/api/` limit.
 *   Default: 1 000 requests a minute per client (rate-limits.js).
 * @property {import('@ward/rate-limit').RateLimitPolicy} [authLimit] the `/api/auth/` limit.
 *   Default: 10 a minute, 5 at once, per address (rate-limits.js).
 * @property {import('@ward/rate-limit').RateLimitPolicy} [addressLimit] the coarse per-address `/api/` limit,
 *   before tokens are verified. Default: 3 000 requests a minute per address (rate-limits.js).
 * @property {import('@ward/core').Middleware} [identify] who the request is from: `jwtAuth({ optional: true, … })`
 *   (app.js builds it from the example's token service). Default: none (every request anonymous).
 */

/**
 * Request headers a browser may send cross-origin (what a preflight may
 * ask for): `authorization` carries the bearer token.
 */
const CORS_ALLOWED_HEADERS = ['content-type', 'authorization', 'x-request-id', 'traceparent', 'tracestate'];

/**
 * Response headers a browser page may read: `Location` of a created user,
 * the request id to quote in a bug report, and the rate-limit fields (and
 * `Retry-After` of a 429) so a page can slow down by itself.
 */
const CORS_EXPOSED_HEADERS = ['location', 'x-request-id', 'ratelimit', 'ratelimit-policy', 'retry-after', 'www-authenticate'];

/**
 * @param {ChainOptions} options
 * @returns {import('@ward/core').Middleware[]}
 */
export function wardChain({ registry, logger, corsOrigins = DEFAULT_CORS_ORIGINS, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS, onError, rateLimitStore, apiLimit, authLimit, addressLimit, identify }) {
  const metrics = { registry };
  const log = logger === undefined ? {} : { logger };
  const limits = rateLimits({ registry, ...(rateLimitStore === undefined ? {} : { store: rateLimitStore }), ...(apiLimit === undefined ? {} : { apiLimit }), ...(authLimit === undefined ? {} : { authLimit }), ...(addressLimit === undefined ? {} : { addressLimit }) });
  return [
    httpMetrics({ registry }),
    requestId({ registry }),
    accessLog({ ...log, metrics }),
    recovery({ registry, ...(onError === undefined ? {} : { onError }) }),
    frameworkErrors(),
    timeout({ timeoutMs, registry }),
    securityHeaders(),
    cors({
      origin: [...corsOrigins],
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: CORS_ALLOWED_HEADERS,
      exposedHeaders: CORS_EXPOSED_HEADERS,
      // The refresh cookie of /api/auth/refresh must reach us from the app's
      // own origins; never with '*' (any origin), which cors refuses with credentials.
      credentials: !corsOrigins.includes('*'),
      registry,
    }),
    limits.auth,
    limits.address,
    ...(identify === undefined ? [] : [identify]),
    limits.api,
    // Each change is recorded with the user who made it, the ip, request
    // id, route, the user acted on (`params.id`) and the outcome.
    auditLog({ ...log, metrics }),
    // (cache: later issue, here)
    serverTiming(),
  ];
}
