/**
 * The flaky upstream the example calls (GET /api/v1/external): a local
 * HTTP server standing in for a third-party rates API. In `flaky` mode it
 * fails every other request with 503 — half the traffic, as a struggling
 * dependency would; `down` fails all of them; `healthy` none. Its answers
 * are deterministic so the example's tests can count them.
 */
import http from 'node:http';

/** @typedef {'flaky' | 'down' | 'healthy'} UpstreamMode */

/**
 * @typedef {object} FlakyUpstream
 * @property {string} url `http://127.0.0.1:<port>`
 * @property {() => number} requests how many requests it has answered
 * @property {(mode: UpstreamMode) => void} setMode
 * @property {() => Promise<void>} close
 */

/**
 * Starts the upstream on a free port of 127.0.0.1.
 *
 * @param {{ mode?: UpstreamMode, port?: number }} [options] Default: `flaky`, a free port.
 * @returns {Promise<FlakyUpstream>}
 */
export async function startFlakyUpstream(options = {}) {
  /** @type {UpstreamMode} */
  let mode = options.mode ?? 'flaky';
  let served = 0;
  const server = http.createServer((req, res) => {
    served += 1;
    req.resume();
    const failing = mode === 'down' || (mode === 'flaky' && served % 2 === 1);
    if (failing) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify({ error: 'rates temporarily unavailable' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ base: 'EUR', rates: { USD: 1.08, GBP: 0.85, CHF: 0.94 }, served, requestId: req.headers['x-request-id'] ?? null }));
  });
  // Keep-alive sockets would hold close() open: the example's clients reuse them.
  server.keepAliveTimeout = 5_000;
  await new Promise((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests: () => served,
    setMode: (next) => {
      mode = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}
