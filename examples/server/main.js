/**
 * Starts the example service: `npm start` (or `node examples/server/main.js`).
 * Env: PORT (default 3000), HOST (default 127.0.0.1), REDIS_URL (rate limits
 * in Redis), CORS_ORIGINS, REQUEST_TIMEOUT_MS (see
 * env.js). SIGINT/SIGTERM shut it down gracefully. The startup lines come
 * first; then one JSON access-log line per request on stdout.
 */
import { createApp } from './app.js';
import { describeEdge, describeStore, readEnv } from './env.js';
import { createRateLimitStore } from './rate-limits.js';
import { shutdownOnSignals } from './signals.js';

const env = readEnv(process.env, 3000);
const rateLimits = await createRateLimitStore(env.store);
const app = createApp({ corsOrigins: env.corsOrigins, timeoutMs: env.timeoutMs, rateLimitStore: rateLimits.store });
const server = await app.listen({ port: env.port, host: env.host });
// Requests in flight finish; new connections are refused; after 10 s the rest are cut.
shutdownOnSignals('ward example', () => server.shutdown({ timeoutMs: 10_000 }).then(rateLimits.close));
console.log(`ward example listening on ${server.url}`);
console.log(describeStore(env.store));
console.log(describeEdge(env));
console.log(`try: curl ${server.url}/health`);
