/**
 * Rate limiting on Express 5 (issue "rate-limit"): the per-request cost of
 * a limiter that allows every request, and of one that refuses every request. Variants:
 * - `bare`: one `res.json()` route
 * - `ward`: the same with `app.use(ward([rateLimit({ policies: [HUGE] })]))` in front
 * - `peers`: the same with express-rate-limit (`limit` 1e9 per minute, `draft-8` fields) in front
 *
 * - `ward-refuse`, `peers-refuse`: `ward` and `peers` allowing one request an
 *   hour: after the first, every request is refused (429), the path a flood takes
 *
 * Every request comes from 127.0.0.1, so each variant decides on one key
 * (its default key: the client address): every decision is "allowed", or in
 * the `*-refuse` variants "limited".
 */
import { createServer } from 'node:http';
import express from 'express';
import { serve, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { PAYLOAD } from './payload.js';
import { HUGE_POLICY, TINY_POLICY } from './rate-limit.js';

const variant = variantArg(['bare', 'ward', 'peers', 'ward-refuse', 'peers-refuse']);
const app = express();
const peers = [nodePeer(), peer('express')];

// The `*-refuse` variants allow one request an hour: the load measures the refusal (429) path.
const policy = variant.endsWith('-refuse') ? TINY_POLICY : HUGE_POLICY;

if (variant.startsWith('ward')) {
  const { ward } = await import('@ward/express');
  const { rateLimit } = await import('@ward/rate-limit');
  app.use(ward([rateLimit({ policies: [policy] })]));
  peers.push(peer('@ward/express'), peer('@ward/rate-limit'), peer('lru-cache'));
} else if (variant.startsWith('peers')) {
  const { rateLimit } = await import('express-rate-limit');
  // The same quota; the IETF fields (RateLimit-Policy + RateLimit, as ward sends), no X-RateLimit-*.
  app.use(rateLimit({ windowMs: policy.windowMs, limit: policy.limit, standardHeaders: 'draft-8', legacyHeaders: false }));
  peers.push(peer('express-rate-limit'));
}

app.get('/', (_req, res) => {
  res.json(PAYLOAD);
});

await serve(createServer(app), peers);
