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
 *   rateLimits         — `api` (1 000/min on /api/) and `auth` (10/min on
 *                        /api/auth/): 429 problems with Retry-After; after
 *                        cors, so a refused browser call can still read it
 *   (auth)             — later issue
 *   auditLog           — who did what, for POST/PUT/DELETE; after auth, so
 *                        user_id is known once auth exists
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
 */

/**
 * Request headers a browser may send cross-origin (what a preflight may
 * ask for). The auth issue adds `authorization` here.
 */
const CORS_ALLOWED_HEADERS = ['content-type', 'x-request-id', 'traceparent', 'tracestate'];

/**
 * Response headers a browser page may read: `Location` of a created user,
 * the request id to quote in a bug report, and the rate-limit fields (and
 * `Retry-After` of a 429) so a page can slow down by itself.
 */
const CORS_EXPOSED_HEADERS = ['location', 'x-request-id', 'ratelimit', 'ratelimit-policy', 'retry-after'];

/**
 * @param {ChainOptions} options
 * @returns {import('@ward/core').Middleware[]}
 */
export function wardChain({ registry, logger, corsOrigins = DEFAULT_CORS_ORIGINS, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS, onError, rateLimitStore, apiLimit }) {
  const metrics = { registry };
  const log = logger === undefined ? {} : { logger };
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
      registry,
    }),
    ...rateLimits({ registry, ...(rateLimitStore === undefined ? {} : { store: rateLimitStore }), ...(apiLimit === undefined ? {} : { apiLimit }) }),
    // (auth: later issue, here)
    // The audit trail is useful before auth exists: the API lets anyone
    // create, replace and delete users, and each change is recorded with
    // the ip, request id, route, the user acted on (`params.id`) and the
    // outcome. user_id is null until auth sets ctx.state.user.
    auditLog({ ...log, metrics }),
    // (cache: later issue, here)
    serverTiming(),
  ];
}
