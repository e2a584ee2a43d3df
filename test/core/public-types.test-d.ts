/**
 * Type tests for @ward/core's public types. Not run by vitest directly:
 * types.test.ts type-checks this file and fails on any diagnostic, so every
 * expectTypeOf here and every @ts-expect-error (which errors when unused) is
 * enforced.
 */
import type { IncomingMessage } from 'node:http';
import { expectTypeOf } from 'vitest';
import {
  compose,
  type ComposedMiddleware,
  type Context,
  HttpError,
  isHttpError,
  isWardError,
  type Middleware,
  type MiddlewareDescription,
  type Next,
  type ProblemFormatter,
  type ResponseBody,
  type TrustProxy,
  type WardError,
  type WardState,
  describeMiddleware,
} from '@ward/core';
import { deferred, type TestResponse, request } from '@ward/core/testing';

// Declaration merging: a package adds its own keys to WardState.
declare module '@ward/core' {
  interface WardState {
    tenantId?: string;
    user?: { id: string; roles: readonly string[] };
  }
}

// --- Middleware and Next -----------------------------------------------------
expectTypeOf<Next>().toEqualTypeOf<() => Promise<void>>();
expectTypeOf<Middleware>().parameters.toEqualTypeOf<[Context, Next]>();
expectTypeOf<Middleware>().returns.toEqualTypeOf<Promise<void> | void>();
expectTypeOf<Middleware>().toEqualTypeOf<Middleware<Context>>();

// Sync and async middleware are both middleware.
const syncMw: Middleware = (ctx) => ctx.json(200, { ok: true });
const asyncMw: Middleware = async (_ctx, next) => {
  await next();
};
expectTypeOf(compose([syncMw, asyncMw])).toEqualTypeOf<ComposedMiddleware<Context>>();

// A middleware for a richer context accepts plain middleware (contravariance).
interface RoutedContext extends Context {
  param(name: string): string;
}
const routed: Middleware<RoutedContext>[] = [syncMw, (ctx) => void ctx.param('id')];
expectTypeOf(routed).toEqualTypeOf<Middleware<RoutedContext>[]>();
// @ts-expect-error a middleware needing param() is not a plain Middleware
const notPlain: Middleware = (ctx: RoutedContext) => void ctx.param('id');

// --- WardState ---------------------------------------------------------------
const stateMw: Middleware = (ctx) => {
  expectTypeOf(ctx.state).toEqualTypeOf<WardState>();
  expectTypeOf(ctx.state.requestId).toEqualTypeOf<string | undefined>();
  expectTypeOf(ctx.state.tenantId).toEqualTypeOf<string | undefined>();
  expectTypeOf(ctx.state.user).toEqualTypeOf<{ id: string; roles: readonly string[] } | undefined>();
  ctx.state.tenantId = 'acme';
  // @ts-expect-error keys nobody declared do not exist
  ctx.state.undeclared = 1;
  // @ts-expect-error declared keys keep their type
  ctx.state.tenantId = 42;
};

// --- Context -----------------------------------------------------------------
const ctxMw: Middleware = async (ctx, next) => {
  expectTypeOf(ctx.req.method).toEqualTypeOf<string>();
  expectTypeOf(ctx.req.header('x')).toEqualTypeOf<string | undefined>();
  expectTypeOf(ctx.req.body()).toEqualTypeOf<Promise<unknown>>();
  expectTypeOf(ctx.req.query).toEqualTypeOf<URLSearchParams>();
  expectTypeOf(ctx.req.route).toEqualTypeOf<string | undefined>();
  expectTypeOf(ctx.res.body).toEqualTypeOf<ResponseBody | undefined>();
  expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
  expectTypeOf(ctx.raw.req).toEqualTypeOf<IncomingMessage>();
  await next();
  ctx.res.body = 'text';
  ctx.res.body = new Uint8Array(1);
  // @ts-expect-error bodies are strings or bytes; ctx.json() is for values
  ctx.res.body = { a: 1 };
  // @ts-expect-error committed is read-only
  ctx.res.committed = false;
  // @ts-expect-error the request is read-only
  ctx.req = ctx.req;
};

// --- Errors ------------------------------------------------------------------
declare const unknownError: unknown;
if (isHttpError(unknownError)) {
  expectTypeOf(unknownError).toEqualTypeOf<HttpError>();
  expectTypeOf(unknownError.status).toEqualTypeOf<number>();
}
if (isWardError(unknownError)) expectTypeOf(unknownError.code).toMatchTypeOf<string>();
expectTypeOf<HttpError>().toMatchTypeOf<WardError>();
new HttpError(429, { code: 'RATE_LIMITED', headers: { 'retry-after': 3 }, extensions: { limit: 10 } });
// @ts-expect-error headers take strings, numbers or string lists
new HttpError(400, { headers: { 'x-a': true } });

const formatter: ProblemFormatter = (error, ctx) => ({ code: error.code, id: ctx.state.requestId });
expectTypeOf(formatter).returns.toEqualTypeOf<unknown>();

// --- Options -----------------------------------------------------------------
const trust: TrustProxy[] = [false, 1, 'loopback', ['10.0.0.0/8'], (address: string) => address === '10.0.0.1'];
// @ts-expect-error there is no `true`: name the proxies you trust
const trustAll: TrustProxy = true;

expectTypeOf(describeMiddleware(syncMw)).toEqualTypeOf<MiddlewareDescription>();

// --- @ward/core/testing ------------------------------------------------------
expectTypeOf(request('http://x')).toEqualTypeOf<Promise<TestResponse>>();
expectTypeOf(deferred<number>().promise).toEqualTypeOf<Promise<number>>();
expectTypeOf<TestResponse['json']>().returns.toEqualTypeOf<unknown>();

export { asyncMw, ctxMw, notPlain, routed, stateMw, syncMw, trust, trustAll };
