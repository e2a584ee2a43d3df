/**
 * Small middleware and request shapes the scenarios share. Named functions,
 * so failures and stack traces name them.
 */
import { get } from 'node:http';
import { type Context, HttpError, type Middleware } from '@ward/core';
import type { TestRequestOptions } from '@ward/core/testing';
import type { Probe } from '../probe.js';

export const passthrough: Middleware = async function passthrough(_ctx, next) {
  await next();
};

/** Records `<name> before` / `<name> after` around next(). */
export function recorder(name: string, probe: Probe): Middleware {
  return async function record(_ctx, next) {
    probe.log.push(`${name} before`);
    await next();
    probe.log.push(`${name} after`);
  };
}

/** Catches what next() rejects with and answers it as a problem. */
export function catchToProblem(probe: Probe): Middleware {
  return async function catchToProblem(ctx, next) {
    try {
      await next();
    } catch (error) {
      probe.caught.push(error);
      ctx.problem(error);
    }
  };
}

/** Sees what next() rejects with and lets it go on up, unhandled. */
export function rethrow(probe: Probe): Middleware {
  return async function rethrow(_ctx, next) {
    try {
      await next();
    } catch (error) {
      probe.caught.push(error);
      throw error;
    }
  };
}

/** Reads the body with ctx.req.body(); a refusal becomes the problem answer. */
export function readBody(probe: Probe): Middleware {
  return async function readBody(ctx, next) {
    try {
      probe.seen.body = await ctx.req.body();
    } catch (error) {
      probe.caught.push(error);
      ctx.problem(error);
      return;
    }
    await next();
  };
}

/** Records who the client is, as ward sees it. */
export function whoIsIt(probe: Probe): Middleware {
  return async function whoIsIt(ctx, next) {
    probe.seen.ip = ctx.req.ip;
    probe.seen.secure = ctx.req.secure;
    await next();
  };
}

export function deny(status: number, options?: ConstructorParameters<typeof HttpError>[1]): Middleware {
  return function deny(ctx: Context) {
    ctx.problem(new HttpError(status, options));
  };
}

export const jsonPost = (body: string | Uint8Array, extra: Record<string, string> = {}): TestRequestOptions => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...extra },
  body,
});

/**
 * GETs a streaming route, releases `probe.midStream` once the first bytes
 * arrived, and reports how the response ended: complete, or cut.
 */
export function readUntilCut(url: string, probe: Probe): Promise<{ status: number | undefined; received: string; cut: boolean }> {
  return new Promise((resolve, reject) => {
    let received = '';
    get(url, (res) => {
      res.on('data', (chunk: Buffer) => {
        received += chunk.toString('utf8');
        probe.midStream.resolve();
      });
      res.once('error', () => resolve({ status: res.statusCode, received, cut: true }));
      res.once('end', () => resolve({ status: res.statusCode, received, cut: false }));
    }).once('error', reject);
  });
}

export const REWRITTEN = '{"changed":true}';
export const LIMITED = { body: { limitBytes: 16 } };
