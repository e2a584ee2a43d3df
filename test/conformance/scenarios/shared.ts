/**
 * Small middleware and request shapes the scenarios share. Named functions,
 * so failures and stack traces name them.
 */
import { get } from 'node:http';
import { connect } from 'node:net';
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

/** What a raw socket got back: status, headers (lower-case names, repeated ones joined with ", ") and body, as latin1. */
export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The whole response as received. */
  text: string;
}

/**
 * Sends `GET path` with `headerLines` written byte for byte on a raw socket
 * (node:http and fetch refuse CR, LF and non-ASCII in header values), with
 * `Connection: close`, and reads the response until the server closes.
 */
export function rawGet(url: string, path: string, headerLines: readonly string[]): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  const head = [`GET ${path} HTTP/1.1`, `Host: ${hostname}`, ...headerLines, 'Connection: close', '', ''].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const lines = text.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: text.slice(end + 4), text });
    });
    // write, not end: a half-closed client makes node abort the request (httpAllowHalfOpen is false).
    socket.write(Buffer.from(head, 'latin1'));
  });
}
