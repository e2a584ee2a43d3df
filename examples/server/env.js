/**
 * The environment the example servers read, checked once at start with
 * messages that name the variable: PORT, HOST and REDIS_URL.
 */

/**
 * @typedef {object} ExampleEnv
 * @property {number} port `PORT`: 0–65535 (0 picks a free port)
 * @property {string} host `HOST`: the address to listen on. Default `127.0.0.1` (loopback only).
 * @property {{ kind: 'memory' } | { kind: 'redis', url: string }} store which store the app would use
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
  const redisUrl = env['REDIS_URL']?.trim();
  if (redisUrl) {
    if (!/^rediss?:\/\//.test(redisUrl)) {
      throw new RangeError(`REDIS_URL must start with redis:// or rediss://, got ${JSON.stringify(redactUrl(redisUrl))}`);
    }
    return { port, host, store: { kind: 'redis', url: redisUrl } };
  }
  return { port, host, store: { kind: 'memory' } };
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
 * One line saying which store is active. Nothing uses Redis yet: with
 * REDIS_URL set the examples say they would, and keep the memory store.
 *
 * @param {ExampleEnv['store']} store
 * @returns {string}
 */
export function describeStore(store) {
  return store.kind === 'redis'
    ? `store: REDIS_URL is set (${redactUrl(store.url)}): a Redis store would be used here; none exists yet, so users stay in memory`
    : 'store: in memory (set REDIS_URL to use Redis once a Redis store exists)';
}
