/**
 * What Express knows about a request that ward's shared context asks for:
 * the full URL (`req.originalUrl`, since Express strips a mounted router's
 * prefix from `req.url`), the matched route template, the route parameters,
 * and a body that a body parser may already have read.
 */
import { type NodeContext, parseBody } from '@ward/core';
import type { ExpressRequest } from './internals.js';

const EMPTY_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** `req.originalUrl`: the request target before any router trimmed it. */
export function urlOfExpress(ctx: NodeContext): string | undefined {
  return (ctx.raw.req as ExpressRequest).originalUrl;
}

/**
 * The matched route template, `req.baseUrl + req.route.path`
 * (`/api/users/:id`). Known once Express matched a route: after `await next()`
 * for `app.use(ward(…))`, at once for a per-route `ward()`. A router mounted
 * at a parameterised path contributes its concrete path (`req.baseUrl`).
 */
export function routeOfExpress(ctx: NodeContext): string | undefined {
  const req = ctx.raw.req as ExpressRequest;
  const route = req.route;
  if (route === undefined || route === null) return undefined;
  const path = route.path;
  // A RegExp or an array of paths has no single template; its string form is stable for labels.
  return (req.baseUrl ?? '') + (typeof path === 'string' ? path : String(path));
}

/**
 * `req.params`, as strings: Express 5 gives `*splat` wildcards as arrays of
 * segments, joined here with `/`.
 */
export function paramsOfExpress(ctx: NodeContext): Readonly<Record<string, string>> {
  const params = (ctx.raw.req as ExpressRequest).params;
  if (params === undefined || params === null) return EMPTY_PARAMS;
  for (const key in params) {
    if (typeof params[key] !== 'string') return stringParams(params);
  }
  return params as Record<string, string>;
}

function stringParams(params: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in params) {
    const value = params[key];
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join('/') : String(value);
  }
  return out;
}

/**
 * The body for `ctx.req.body()`. If a body parser already consumed the stream
 * (body-parser 1 sets `req._body`; body-parser 2, Express 5's `express.json()`,
 * leaves `req.body` set and the stream ended), its value is used. Otherwise
 * ward parses the body itself and leaves it where Express code expects it:
 * `req.body`, with `req._body = true`, so a later `express.json()` skips the
 * stream ward has read.
 */
export async function readExpressBody(ctx: NodeContext): Promise<unknown> {
  const req = ctx.raw.req as ExpressRequest;
  if (req._body === true || (req.body !== undefined && req.readableEnded)) return req.body;
  const body = await parseBody(req, ctx.settings.body);
  req.body = body;
  req._body = true;
  return body;
}
