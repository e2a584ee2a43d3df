/**
 * The response cache on Express 5 (issue "cache"). Variants:
 * - `bare`: one `res.json()` route
 * - `hit`: the same route behind `ward([responseCache()])` (memory store), every request a hit
 * - `peers`: the same route behind `apicache.middleware('1 hour')` (memory), every request a hit
 * - `slow`: the route spends 1 ms of CPU per request, uncached
 * - `slow-hit`: the 1 ms route behind `ward([responseCache()])`, every request a hit
 */
import { createServer } from 'node:http';
import express from 'express';
import { serve, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { busyMillisecond, CACHE_CONTROL } from './cache.js';
import { PAYLOAD } from './payload.js';

const variant = variantArg(['bare', 'hit', 'peers', 'slow', 'slow-hit']);
const app = express();
const peers = [nodePeer(), peer('express')];
const slow = variant === 'slow' || variant === 'slow-hit';
/**
 * @param {import('express').Request} _req
 * @param {import('express').Response} res
 */
const handler = (_req, res) => {
  if (slow) busyMillisecond();
  res.set('cache-control', CACHE_CONTROL).json(PAYLOAD);
};
if (variant === 'hit' || variant === 'slow-hit') {
  const { ward } = await import('@ward/express');
  const { responseCache } = await import('@ward/cache');
  app.get('/', ward([responseCache()]), handler);
  peers.push(peer('@ward/express'), peer('@ward/cache'), peer('http-cache-semantics'), peer('lru-cache'));
} else if (variant === 'peers') {
  const { default: apicache } = await import('apicache');
  app.get('/', apicache.middleware('1 hour'), handler);
  peers.push(peer('apicache'));
} else {
  app.get('/', handler);
}

await serve(createServer(app), peers);
