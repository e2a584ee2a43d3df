/**
 * Rate limiting on Express 5 (issue "rate-limit"): the per-request cost of
 * a limiter that allows every request. Variants:
 * - `bare`: one `res.json()` route
 * - `ward`: the same with `app.use(ward([rateLimit({ policies: [HUGE] })]))` in front
 * - `peers`: the same with express-rate-limit (`limit` 1e9 per minute, `draft-8` fields) in front
 *
 * Every request comes from 127.0.0.1, so each variant decides on one key
 * (its default key: the client address) and every decision is "allowed".
 */
import { createServer } from 'node:http';
import express from 'express';
import { serve, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { PAYLOAD } from './payload.js';
import { HUGE_POLICY } from './rate-limit.js';

const variant = variantArg(['bare', 'ward', 'peers']);
const app = express();
const peers = [nodePeer(), peer('express')];

if (variant === 'ward') {
  const { ward } = await import('@ward/express');
  const { rateLimit } = await import('@ward/rate-limit');
  app.use(ward([rateLimit({ policies: [HUGE_POLICY] })]));
  peers.push(peer('@ward/express'), peer('@ward/rate-limit'), peer('lru-cache'));
} else if (variant === 'peers') {
  const { rateLimit } = await import('express-rate-limit');
  // The same quota; the IETF fields (RateLimit-Policy + RateLimit, as ward sends), no X-RateLimit-*.
  app.use(rateLimit({ windowMs: HUGE_POLICY.windowMs, limit: HUGE_POLICY.limit, standardHeaders: 'draft-8', legacyHeaders: false }));
  peers.push(peer('express-rate-limit'));
}

app.get('/', (_req, res) => {
  res.json(PAYLOAD);
});

await serve(createServer(app), peers);
