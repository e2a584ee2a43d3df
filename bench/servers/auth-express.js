/**
 * JWT + role check on Express 5 (issue "auth"), repeated tokens. Variants:
 * - `bare`: one `res.json()` route
 * - `pass`: `app.use(ward([passThrough]))`, the adapter alone (to tell its cost from auth's)
 * - `ward`: `app.use(ward([jwtAuth(…), rbac(…).requireRole('admin')]))` (decision logs off)
 * - `peers`: express-jwt 8 with a KeyObject secret (its fast path) and a role check middleware
 */
import { createSecretKey } from 'node:crypto';
import { createServer } from 'node:http';
import express from 'express';
import { serve, variantArg } from '../lib/child.js';
import { nodePeer, peer } from '../lib/peers.js';
import { AUDIENCE, ISSUER, JWT_OPTIONS, ROLES, SECRET } from './auth.js';
import { PAYLOAD } from './payload.js';

const variant = variantArg(['bare', 'pass', 'ward', 'peers']);
const app = express();
const peers = [nodePeer(), peer('express')];

if (variant === 'pass') {
  const { ward } = await import('@ward/express');
  app.use(ward([(_ctx, next) => next()]));
  peers.push(peer('@ward/express'));
} else if (variant === 'ward') {
  const { ward } = await import('@ward/express');
  const { jwtAuth, rbac } = await import('@ward/auth');
  const access = rbac({ roles: ROLES, logger: false });
  app.use(ward([jwtAuth(JWT_OPTIONS), access.requireRole('admin')]));
  peers.push(peer('@ward/express'), peer('@ward/auth'), peer('jose'));
} else if (variant === 'peers') {
  const { expressjwt } = await import('express-jwt');
  app.use(expressjwt({ secret: createSecretKey(Buffer.from(SECRET)), algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE }));
  /** @type {import('express').RequestHandler} */
  const requireAdmin = (req, res, next) => {
    const roles = /** @type {{ auth?: { roles?: unknown } }} */ (req).auth?.roles;
    if (Array.isArray(roles) && roles.includes('admin')) {
      next();
      return;
    }
    res.sendStatus(403);
  };
  app.use(requireAdmin);
  /** @type {import('express').ErrorRequestHandler} */
  const unauthorized = (error, _req, res, next) => {
    if (error?.name === 'UnauthorizedError') {
      res.sendStatus(401);
      return;
    }
    next(error);
  };
  app.get('/', (_req, res) => {
    res.json(PAYLOAD);
  });
  app.use(unauthorized);
  peers.push(peer('express-jwt'), peer('jsonwebtoken'));
}

if (variant !== 'peers') {
  app.get('/', (_req, res) => {
    res.json(PAYLOAD);
  });
}

await serve(createServer(app), peers);
