/**
 * The edge benchmark (issue 3): the six edge middleware of ward together —
 * requestId, accessLog, recovery, timeout, securityHeaders, cors — against
 * the same bare framework and against the peer chain people use on that
 * framework. The apps are built here, so the bench servers
 * (`edge-engine.js`, `edge-express.js`, `edge-fastify.js`) and the test that
 * compares ward's answers with the peers' (test/examples/bench-baseline.test.ts)
 * build exactly the same thing.
 *
 * Every variant serves `GET /` with {@link PAYLOAD}. Requests carry
 * `Origin: https://app.example.com` ({@link EDGE_REQUEST_HEADERS}), an
 * allowed origin, so CORS does its real work on both sides.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { nodePeer, peer } from '../lib/peers.js';
import { PAYLOAD, checkPayload } from './payload.js';

/**
 * @typedef {import('../lib/peers.js').Peer} Peer
 * @typedef {'bare' | 'ward' | 'peers'} EdgeVariant
 * @typedef {import('@ward/logger').LineDestination} LineDestination
 *
 * @typedef {object} EdgeOptions
 * @property {LineDestination} [logDestination] where ward's access log goes; default a stream on /dev/null
 */

/** The one allowed origin, on both sides. */
export const ORIGIN = 'https://app.example.com';

/** Sent with every request of the edge suites (verification and load alike). */
export const EDGE_REQUEST_HEADERS = Object.freeze({ origin: ORIGIN });

/** The deadline of both timeout middleware, in milliseconds. */
export const TIMEOUT_MS = 5_000;

/** Variants of the Express and Fastify edge servers. */
export const FRAMEWORK_VARIANTS = /** @type {const} */ (['bare', 'ward', 'peers']);

/** Variants of the engine edge server: there is no peer chain for the engine. */
export const ENGINE_VARIANTS = /** @type {const} */ (['bare', 'ward']);

const require = createRequire(import.meta.url);

/**
 * The access log's destination in the benchmark: JSON lines written to
 * /dev/null — the serialisation and the one `write()` per event-loop turn
 * are paid, no disk or terminal is.
 *
 * @returns {LineDestination}
 */
function devNull() {
  return createWriteStream('/dev/null');
}

/**
 * The six, in the order the READMEs give (onion: the first wraps the rest).
 *
 * @param {EdgeOptions} [options]
 * @returns {Promise<{ chain: import('@ward/core').Middleware[], peers: Peer[] }>}
 */
export async function wardSix(options = {}) {
  const [{ requestId }, { accessLog, jsonLinesLogger }, { recovery }, { timeout }, { securityHeaders }, { cors }] = await Promise.all([
    import('@ward/request-id'),
    import('@ward/logger'),
    import('@ward/recovery'),
    import('@ward/timeout'),
    import('@ward/security-headers'),
    import('@ward/cors'),
  ]);
  const logger = jsonLinesLogger({ destination: options.logDestination ?? devNull() });
  return {
    chain: [
      requestId(),
      accessLog({ logger }),
      recovery(),
      timeout({ timeoutMs: TIMEOUT_MS }),
      securityHeaders(),
      cors({ origin: [ORIGIN] }),
    ],
    peers: ['@ward/request-id', '@ward/logger', '@ward/recovery', '@ward/timeout', '@ward/security-headers', '@ward/cors'].map(peer),
  };
}

/**
 * The engine: `GET /` answering the payload; `ward` adds the six with
 * `engine.use()`.
 *
 * @param {'bare' | 'ward'} variant
 * @param {EdgeOptions} [options]
 * @returns {Promise<{ listener: import('node:http').RequestListener, peers: Peer[] }>}
 */
export async function edgeEngine(variant, options = {}) {
  const { Engine } = await import('@ward/engine');
  const engine = new Engine();
  const peers = [nodePeer(), peer('@ward/engine')];
  if (variant === 'ward') {
    const six = await wardSix(options);
    engine.use(...six.chain);
    peers.push(...six.peers);
  }
  engine.get('/', (ctx) => ctx.json(200, PAYLOAD));
  return { listener: engine.handler, peers };
}

/**
 * Express 5: one `res.json()` route; `ward` puts `app.use(ward([...six]))`
 * in front, `peers` express-request-id, connect-timeout, helmet and cors.
 *
 * @param {EdgeVariant} variant
 * @param {EdgeOptions} [options]
 * @returns {Promise<{ app: import('express').Express, peers: Peer[] }>}
 */
export async function edgeExpress(variant, options = {}) {
  const { default: express } = await import('express');
  const app = express();
  const peers = [nodePeer(), peer('express')];
  if (variant === 'ward') {
    const { ward } = await import('@ward/express');
    const six = await wardSix(options);
    app.use(ward(six.chain));
    peers.push(peer('@ward/express'), ...six.peers);
  } else if (variant === 'peers') {
    // express-request-id's types are not reachable through its "exports"; typed by the one call made here.
    const requestIdModule = 'express-request-id';
    const { default: requestID } = /** @type {{ default: () => import('express').RequestHandler }} */ (await import(requestIdModule));
    const { default: helmet } = await import('helmet');
    const { default: cors } = await import('cors');
    // connect-timeout ships no type declarations; typed by the one call made here.
    const connectTimeout = /** @type {(time: number) => import('express').RequestHandler} */ (require('connect-timeout'));
    app.use(requestID()); // X-Request-Id: the incoming one, else a v4 UUID
    app.use(connectTimeout(TIMEOUT_MS)); // 503 after 5 s
    app.use(helmet()); // helmet 8 defaults
    app.use(cors({ origin: [ORIGIN] }));
    peers.push(peer('express-request-id'), peer('connect-timeout'), peer('helmet'), peer('cors'));
  }
  app.get('/', (_req, res) => {
    res.json(PAYLOAD);
  });
  return { app, peers };
}

/**
 * Fastify 5: one route returning the payload; `ward` registers
 * `ward([...six])`, `peers` is Fastify's own request id (`genReqId`,
 * reusing `X-Request-ID`, answered in an `onRequest` hook) with
 * @fastify/helmet and @fastify/cors.
 *
 * @param {EdgeVariant} variant
 * @param {EdgeOptions} [options]
 * @returns {Promise<{ app: import('fastify').FastifyInstance, peers: Peer[] }>}
 */
export async function edgeFastify(variant, options = {}) {
  const { default: Fastify } = await import('fastify');
  const peers = [nodePeer(), peer('fastify')];
  /** @type {import('fastify').FastifyInstance} */
  let app;
  if (variant === 'peers') {
    // What express-request-id does, the Fastify way: reuse the incoming
    // X-Request-ID, else a v4 UUID, and answer with it.
    app = Fastify({ logger: false, requestIdHeader: 'x-request-id', genReqId: () => randomUUID() });
    app.addHook('onRequest', (request, reply, done) => {
      reply.header('x-request-id', request.id);
      done();
    });
    const { default: helmet } = await import('@fastify/helmet');
    const { default: cors } = await import('@fastify/cors');
    await app.register(helmet); // helmet 8 defaults
    await app.register(cors, { origin: [ORIGIN] });
    peers.push(peer('@fastify/helmet'), peer('helmet'), peer('@fastify/cors'));
  } else {
    app = Fastify({ logger: false });
    if (variant === 'ward') {
      const { ward } = await import('@ward/fastify');
      const six = await wardSix(options);
      await app.register(ward(six.chain));
      peers.push(peer('@ward/fastify'), ...six.peers);
    }
  }
  app.get('/', async () => PAYLOAD);
  return { app, peers };
}

/**
 * The bare variants: the payload, and no sign of CORS or a request id (a
 * "bare" server that ran middleware would make every ratio wrong).
 *
 * @param {number} status
 * @param {string} body
 * @param {Headers} headers
 * @returns {string | undefined}
 */
export function checkBare(status, body, headers) {
  const complaint = checkPayload(status, body);
  if (complaint !== undefined) return complaint;
  if (headers.has('access-control-allow-origin') || headers.has('x-request-id')) return 'the bare variant must run no middleware';
  return undefined;
}

/**
 * The ward and peers variants: the payload, plus the marks of the chain's
 * work — a request id, `X-Content-Type-Options: nosniff`, CORS for the
 * allowed origin with `Vary: Origin` — so a chain that silently lost a
 * middleware is an error, not a figure.
 *
 * @param {number} status
 * @param {string} body
 * @param {Headers} headers
 * @returns {string | undefined}
 */
export function checkEdge(status, body, headers) {
  const complaint = checkPayload(status, body);
  if (complaint !== undefined) return complaint;
  const id = headers.get('x-request-id');
  if (id === null || !/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)) {
    return `expected a v4 UUID in X-Request-ID, got ${JSON.stringify(id)}`;
  }
  if (headers.get('x-content-type-options') !== 'nosniff') return 'expected X-Content-Type-Options: nosniff';
  if (headers.get('access-control-allow-origin') !== ORIGIN) return `expected Access-Control-Allow-Origin: ${ORIGIN}`;
  if (!/(^|,)\s*origin\s*(,|$)/i.test(headers.get('vary') ?? '')) return 'expected Vary: Origin';
  if (headers.has('x-powered-by')) return 'expected no X-Powered-By';
  return undefined;
}
