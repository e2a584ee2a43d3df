/**
 * Express 5 overhead server. Variants:
 * - `bare`: one `res.json()` route
 * - `ward`: the same with `app.use(ward([passThrough]))` in front
 * - `metrics`: the same with `app.use(ward([httpMetrics()]))` in front
 */
import { createServer } from 'node:http';
import express from 'express';
import { passThrough, serve, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { PAYLOAD } from './payload.js';

const variant = variantArg(['bare', 'ward', 'metrics']);
const app = express();
const peers = [nodePeer(), peer('express')];

if (variant !== 'bare') {
  const { ward } = await import('@ward/express');
  peers.push(peer('@ward/express'));
  if (variant === 'ward') {
    app.use(ward([passThrough]));
  } else {
    const { httpMetrics } = await import('@ward/metrics');
    peers.push(peer('@ward/metrics'), peer('prom-client'));
    app.use(ward([httpMetrics()]));
  }
}

app.get('/', (_req, res) => {
  res.json(PAYLOAD);
});

await serve(createServer(app), peers);
