/**
 * The environment the example servers read, checked once at start with
 * messages that name the variable: PORT, HOST, REDIS_URL, CORS_ORIGINS,
 * REQUEST_TIMEOUT_MS, JWT_SECRET, ADMIN_EMAIL and ADMIN_PASSWORD.
 */
import { normalizeOrigin } from '@ward/cors';
import { MAX_TIMEOUT_MS } from '@ward/timeout';

/** Origins allowed by CORS when `CORS_ORIGINS` is unset: a local front-end dev server (Vite's port). */
export const DEFAULT_CORS_ORIGINS = Object.freeze(['http://localhost:5173']);

/** Budget of one request when `REQUEST_TIMEOUT_MS` is unset: 10 s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * @typedef {object} ExampleEnv
 * @property {number} port `PORT`: 0–65535 (0 picks a free port)
 * @property {string} host `HOST`: the address to listen on. Default `127.0.0.1` (loopback only).
 * @property {{ kind: 'memory' } | { kind: 'redis', url: string }} store which store the app would use
 * @property {string[]} corsOrigins `CORS_ORIGINS`: origins allowed to read the API from a browser,
 *   normalised as browsers send them, or `['*']`. Default {@link DEFAULT_CORS_ORIGINS}.
 * @property {number} timeoutMs `REQUEST_TIMEOUT_MS`: the budget of one request, in ms. Default {@link DEFAULT_REQUEST_TIMEOUT_MS}.
 * @property {string | undefined} jwtSecret `JWT_SECRET`: the HS256 secret of the access tokens (≥ 32 bytes).
 *   Unset: a random one per start (tokens then die with the process).
 * @property {{ email: string, password: string } | undefined} admin `ADMIN_EMAIL` and `ADMIN_PASSWORD`:
 *   an `admin` account created at start. Unset: none (every registered account is a `user`).
 * @property {string | undefined} upstreamUrl `UPSTREAM_URL`: the rates service `GET /api/v1/external` calls
 *   (an http(s) URL). Unset: a flaky local one started with the app (external/upstream.js).
 */

/**
 * @param {NodeJS.ProcessEnv} env
 * @param {number} defaultPort
 * @returns {ExampleEnv}
 */
export function readEnv(env, defaultPort) {
  const rawPort = env['PORT'];
  let port = defaultPort;
  if (rawPort !== undefined && rawPort.trim() !== '') {
    if (!/^[0-9]{1,5}$/.test(rawPort.trim()) || Number(rawPort) > 65535) {
      throw new RangeError(`PORT must be a port number from 0 to 65535, got ${JSON.stringify(rawPort)}. Unset it to use ${defaultPort}.`);
    }
    port = Number(rawPort);
  }
  const host = env['HOST']?.trim() || '127.0.0.1';
  const corsOrigins = readCorsOrigins(env['CORS_ORIGINS']);
  const timeoutMs = readTimeoutMs(env['REQUEST_TIMEOUT_MS']);
  const jwtSecret = readJwtSecret(env['JWT_SECRET']);
  const admin = readAdmin(env['ADMIN_EMAIL'], env['ADMIN_PASSWORD']);
  const upstreamUrl = readUpstreamUrl(env['UPSTREAM_URL']);
  const redisUrl = env['REDIS_URL']?.trim();
  if (redisUrl) {
    if (!/^rediss?:\/\//.test(redisUrl)) {
      throw new RangeError(`REDIS_URL must start with redis:// or rediss://, got ${JSON.stringify(redactUrl(redisUrl))}`);
    }
    return { port, host, store: { kind: 'redis', url: redisUrl }, corsOrigins, timeoutMs, jwtSecret, admin, upstreamUrl };
  }
  return { port, host, store: { kind: 'memory' }, corsOrigins, timeoutMs, jwtSecret, admin, upstreamUrl };
}

/**
 * `UPSTREAM_URL`: an http:// or https:// URL. Unset or blank: undefined.
 *
 * @param {string | undefined} raw
 * @returns {string | undefined}
 */
function readUpstreamUrl(raw) {
  const value = raw?.trim();
  if (!value) return undefined;
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new RangeError(`UPSTREAM_URL must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`UPSTREAM_URL must be an http(s) URL, got ${JSON.stringify(value)}`);
  return url.origin;
}

/**
 * `JWT_SECRET`: at least 32 bytes (RFC 7518 §3.2 for HS256), e.g.
 * `openssl rand -base64 48`. Unset or blank: undefined.
 *
 * @param {string | undefined} raw
 * @returns {string | undefined}
 */
function readJwtSecret(raw) {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (Buffer.byteLength(raw, 'utf8') < 32) throw new RangeError(`JWT_SECRET must be at least 32 bytes (got ${Buffer.byteLength(raw, 'utf8')}); make one with: openssl rand -base64 48`);
  return raw;
}

/**
 * `ADMIN_EMAIL` and `ADMIN_PASSWORD` (12 to 128 characters): both or neither.
 *
 * @param {string | undefined} email
 * @param {string | undefined} password
 * @returns {{ email: string, password: string } | undefined}
 */
function readAdmin(email, password) {
  const e = email?.trim() ?? '';
  if (e === '' && (password ?? '') === '') return undefined;
  if (e === '' || password === undefined || password === '') throw new RangeError('ADMIN_EMAIL and ADMIN_PASSWORD go together: set both (an admin account is created at start) or neither');
  if (password.length < 12 || password.length > 128) throw new RangeError(`ADMIN_PASSWORD must be 12 to 128 characters, got ${password.length}`);
  return { email: e, password };
}

/**
 * `CORS_ORIGINS`: a comma-separated list of origins (`scheme://host[:port]`,
 * no path, no trailing slash), each normalised the way browsers send it
 * (`HTTPS://App.Example.com:443` → `https://app.example.com`), duplicates
 * dropped; or `*` alone (any origin may read the API; no credentials are
 * used). Unset or blank: {@link DEFAULT_CORS_ORIGINS}.
 *
 * @param {string | undefined} raw
 * @returns {string[]}
 */
function readCorsOrigins(raw) {
  if (raw === undefined || raw.trim() === '') return [...DEFAULT_CORS_ORIGINS];
  const entries = raw.split(',').map((entry) => entry.trim());
  const example = 'e.g. CORS_ORIGINS=https://app.example.com,http://localhost:5173';
  if (entries.includes('')) {
    throw new RangeError(`CORS_ORIGINS has an empty entry (a stray comma) in ${JSON.stringify(raw)}: list origins separated by commas, ${example}`);
  }
  if (entries.includes('*')) {
    if (entries.length > 1) throw new RangeError(`CORS_ORIGINS: '*' must be alone (any origin), got ${JSON.stringify(raw)}`);
    return ['*'];
  }
  /** @type {string[]} */
  const origins = [];
  for (const entry of entries) {
    let origin;
    try {
      origin = normalizeOrigin(entry);
    } catch (error) {
      throw new RangeError(`CORS_ORIGINS: ${error instanceof Error ? error.message : String(error)} (${example})`);
    }
    if (!origins.includes(origin)) origins.push(origin);
  }
  return origins;
}

/**
 * `REQUEST_TIMEOUT_MS`: whole milliseconds, 1 to 2 147 483 647 (node's timer
 * limit). Unset or blank: {@link DEFAULT_REQUEST_TIMEOUT_MS}.
 *
 * @param {string | undefined} raw
 * @returns {number}
 */
function readTimeoutMs(raw) {
  if (raw === undefined || raw.trim() === '') return DEFAULT_REQUEST_TIMEOUT_MS;
  const value = raw.trim();
  if (!/^[0-9]{1,10}$/.test(value) || Number(value) < 1 || Number(value) > MAX_TIMEOUT_MS) {
    throw new RangeError(
      `REQUEST_TIMEOUT_MS must be whole milliseconds from 1 to ${MAX_TIMEOUT_MS}, got ${JSON.stringify(raw)}. Unset it to use ${DEFAULT_REQUEST_TIMEOUT_MS}.`,
    );
  }
  return Number(value);
}

/**
 * A URL with its password replaced, for logs.
 *
 * @param {string} url
 * @returns {string}
 */
export function redactUrl(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.href;
  } catch {
    return '[unparseable URL]';
  }
}

/**
 * One line saying which store is active. With REDIS_URL set, the rate
 * limits keep their buckets in Redis (users stay in memory: the user store
 * is the example's own, not a ward package).
 *
 * @param {ExampleEnv['store']} store
 * @returns {string}
 */
export function describeStore(store) {
  return store.kind === 'redis'
    ? `store: rate limits, refresh tokens, revocations, cached responses and outbound breaker verdicts in Redis at ${redactUrl(store.url)} (rate limits fall back locally, the cache steps aside and breakers act alone if it fails); users in memory`
    : 'store: rate limits, refresh tokens, revocations, cached responses and users in memory (set REDIS_URL to share them through Redis)';
}

/**
 * One line saying how the edge of the chain is set up: which origins CORS
 * allows and the request budget.
 *
 * @param {Pick<ExampleEnv, 'corsOrigins' | 'timeoutMs'>} env
 * @returns {string}
 */
export function describeEdge(env) {
  const origins = env.corsOrigins.includes('*') ? 'any origin (*)' : env.corsOrigins.join(', ');
  return `cors: ${origins} (CORS_ORIGINS) · timeout: ${env.timeoutMs} ms per request (REQUEST_TIMEOUT_MS)`;
}
