/**
 * Starts the Express example: `node examples/express/main.js`.
 * Env: PORT (default 3001), HOST (default 127.0.0.1), REDIS_URL, CORS_ORIGINS,
 * REQUEST_TIMEOUT_MS (see server/env.js).
 */
import { once } from 'node:events';
import { describeEdge, describeStore, readEnv } from '../server/env.js';
import { createServices } from '../server/services.js';
import { closeServer, shutdownOnSignals } from '../server/signals.js';
import { createExpressApp } from './app.js';

const env = readEnv(process.env, 3001);
const services = await createServices(env);
const app = createExpressApp({ corsOrigins: env.corsOrigins, timeoutMs: env.timeoutMs, rateLimitStore: services.rateLimitStore, cacheStore: services.cacheStore, store: services.store, auth: services.auth, upstreamUrl: services.upstreamUrl, circuitState: services.circuitState });
const server = app.listen(env.port, env.host);
await once(server, 'listening');
const address = server.address();
const port = typeof address === 'object' && address !== null ? address.port : env.port;
shutdownOnSignals('express example', () => closeServer(server).then(services.close));
console.log(`Express example listening on http://${env.host.includes(':') ? `[${env.host}]` : env.host}:${port}`);
console.log(describeStore(env.store));
console.log(describeEdge(env));
for (const note of services.notes) console.log(note);
