/**
 * node:http overhead server. Variants:
 * - `bare`: `http.createServer(handler)`
 * - `ward`: `http.createServer(wardListener([passThrough], handler))`
 * - `metrics`: `http.createServer(wardListener([httpMetrics()], handler))`
 */
import { createServer } from 'node:http';
import { wardListener } from '@ward/node';
import { passThrough, serve, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { PAYLOAD } from './payload.js';

const variant = variantArg(['bare', 'ward', 'metrics']);

/**
 * @param {import('node:http').IncomingMessage} _req
 * @param {import('node:http').ServerResponse} res
 */
function handler(_req, res) {
  const body = JSON.stringify(PAYLOAD);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const peers = [nodePeer()];
/** @type {import('node:http').RequestListener} */
let listener = handler;
if (variant === 'ward') {
  listener = wardListener([passThrough], handler);
  peers.push(peer('@ward/node'));
} else if (variant === 'metrics') {
  const { httpMetrics } = await import('@ward/metrics');
  listener = wardListener([httpMetrics()], handler);
  peers.push(peer('@ward/node'), peer('@ward/metrics'), peer('prom-client'));
}

await serve(createServer(listener), peers);
