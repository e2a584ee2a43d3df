/**
 * Shared set-up of the @ward/express tests: both Express versions, servers
 * on real sockets that are closed after each test, and two small ward
 * middleware used throughout.
 */
import { createRequire } from 'node:module';
import type { Context, Middleware } from '@ward/core';
import { listen, type TestServer } from '@ward/core/testing';
import express from 'express';
import { afterEach } from 'vitest';

const require = createRequire(import.meta.url);

/** Express 4, installed as the alias package `express4`; its API is typed like Express 5's for these tests. */
export const express4 = require('express4') as typeof express;

export type ExpressModule = typeof express;

/** The versions every main scenario runs on. */
export const VERSIONS: readonly (readonly [string, ExpressModule])[] = [
  ['Express 5', express],
  ['Express 4', express4],
];

const open: TestServer[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()));
});

/** Listens on 127.0.0.1:0; closed after the test. */
export async function serve(app: express.Express): Promise<TestServer> {
  const server = await listen(app as unknown as Parameters<typeof listen>[0]);
  open.push(server);
  return server;
}

/** The problem+json body ward makes for an unexpected error. */
export const INTERNAL_PROBLEM = {
  type: 'urn:ward:problem:internal-error',
  title: 'Internal Server Error',
  status: 500,
  code: 'INTERNAL_ERROR',
};

/** Recovery-style middleware: records what `next()` rejected with and answers a problem. */
export function recovery(seen: unknown[]): Middleware {
  return async function recovery(ctx: Context, next) {
    try {
      await next();
    } catch (error) {
      seen.push(error);
      ctx.problem(error);
    }
  };
}

/** Records what `next()` rejected with and rethrows it: a middleware that observes but does not handle. */
export function observer(seen: unknown[], name = 'observer'): Middleware {
  return async function observe(_ctx: Context, next) {
    try {
      await next();
    } catch (error) {
      seen.push([name, error]);
      throw error;
    }
  };
}
