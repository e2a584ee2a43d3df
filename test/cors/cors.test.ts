/**
 * cors() behaviour over real HTTP through the node adapter: the headers of
 * allowed, refused and origin-less simple requests, origin '*', null and
 * same-origin, request state, Vary, and the rejection counter.
 */
import type { Context } from '@ward/core';
import { request } from '@ward/core/testing';
import { cors } from '@ward/cors';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { APP, EVIL, corsHeadersOf, corsServers, counted, get, preflight, rejectedLines, serve } from './helpers.js';

const start = corsServers();

describe('simple requests', () => {
  it('an allowed origin is reflected exactly, with credentials and exposed headers', async () => {
    const { url, reached, registry } = await start({ credentials: true, exposedHeaders: ['X-Request-Id', 'server-timing'] });
    const res = await get(url, APP);
    expect(res.status).toBe(200);
    expect(res.text).toBe('ok');
    expect(corsHeadersOf(res.headers)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'X-Request-Id, server-timing',
    });
    expect(res.headers.vary).toBe('Origin');
    expect(reached).toEqual({ count: 1, methods: ['GET'] });
    expect(await rejectedLines(registry)).toEqual(counted(0));
  });

  it('a refused origin gets no CORS headers; the handler runs; the refusal is counted', async () => {
    const { url, reached, registry } = await start({ credentials: true, exposedHeaders: ['x-request-id'] });
    const res = await request(`${url}/r`, { method: 'DELETE', headers: { origin: EVIL } });
    expect(res.status).toBe(200);
    expect(corsHeadersOf(res.headers)).toEqual({});
    expect(res.headers.vary).toBe('Origin');
    expect(reached).toEqual({ count: 1, methods: ['DELETE'] });
    expect(await rejectedLines(registry)).toEqual(counted(1));
  });

  it('a request without Origin gets Vary: Origin only and counts nothing', async () => {
    const { url, registry } = await start({ credentials: true });
    const res = await get(url);
    expect(corsHeadersOf(res.headers)).toEqual({});
    expect(res.headers.vary).toBe('Origin');
    expect(await rejectedLines(registry)).toEqual(counted(0));
  });

  it("origin '*' answers * to everyone (null and garbage too), exposes headers, and sends no Vary", async () => {
    const { url, registry } = await start({ origin: '*', exposedHeaders: ['*'] });
    for (const origin of [undefined, APP, 'null', 'not an origin']) {
      const res = await get(url, origin);
      expect(corsHeadersOf(res.headers), String(origin)).toEqual({ 'access-control-allow-origin': '*', 'access-control-expose-headers': '*' });
      expect(res.headers.vary, String(origin)).toBeUndefined();
    }
    expect(await rejectedLines(registry)).toEqual(counted(0));
  });

  it("the null origin is refused by default and allowed with allowNullOrigin (as 'null', never '*')", async () => {
    const refused = await start({});
    expect(corsHeadersOf((await get(refused.url, 'null')).headers)).toEqual({});
    expect(await rejectedLines(refused.registry)).toEqual(counted(1));
    const allowed = await start({ allowNullOrigin: true });
    expect(corsHeadersOf((await get(allowed.url, 'null')).headers)).toEqual({ 'access-control-allow-origin': 'null' });
    expect(await rejectedLines(allowed.registry)).toEqual(counted(0));
  });

  it('a same-origin request (Origin equals scheme://Host) is not counted as a refusal', async () => {
    const { url, registry } = await start({});
    const host = new URL(url).host;
    const res = await get(url, `http://${host}`);
    expect(corsHeadersOf(res.headers)).toEqual({});
    expect(res.headers.vary).toBe('Origin');
    expect(await rejectedLines(registry)).toEqual(counted(0));
  });

  it('sets ctx.state.corsOrigin only for an allowed origin', async () => {
    const seen: (string | undefined)[] = [];
    const { url } = await start(
      {},
      {
        after: [
          function look(ctx: Context, next) {
            seen.push(ctx.state.corsOrigin);
            return next();
          },
        ],
      },
    );
    await get(url, APP);
    await get(url, EVIL);
    await get(url);
    expect(seen).toEqual([APP, undefined, undefined]);
  });
});

describe('Vary', () => {
  it('appends to a Vary set before cors and survives a handler that replaces Vary', async () => {
    const { url } = await start(
      {},
      {
        before: [
          function setVary(ctx: Context, next) {
            ctx.res.appendHeader('vary', 'Accept-Language');
            return next();
          },
        ],
        after: [
          async function replaceVary(ctx: Context, next) {
            await next();
            ctx.res.setHeader('vary', 'Accept-Encoding, accept');
          },
        ],
      },
    );
    expect((await get(url, APP)).headers.vary).toBe('Accept-Encoding, accept, Origin');
    expect((await get(url, EVIL)).headers.vary).toBe('Accept-Encoding, accept, Origin');
  });

  it('never duplicates Origin and leaves Vary: * alone', async () => {
    const { url } = await start(
      {},
      {
        before: [
          function setVary(ctx: Context, next) {
            ctx.res.setHeader('vary', ctx.req.header('x-vary') ?? '');
            return next();
          },
        ],
      },
    );
    expect((await get(url, APP, { 'x-vary': 'origin' })).headers.vary).toBe('origin');
    expect((await get(url, APP, { 'x-vary': '*' })).headers.vary).toBe('*');
    expect((await get(url, APP, { 'x-vary': 'Accept, ORIGIN' })).headers.vary).toBe('Accept, ORIGIN');
    // An empty Vary is replaced, not turned into ", Origin".
    expect((await get(url, APP, { 'x-vary': '' })).headers.vary).toBe('Origin');
    // A preflight adds the request-header names it depends on, keeping what is there.
    const res = await preflight(url, APP, 'PUT', undefined, { 'x-vary': 'Accept, Origin' });
    expect(res.headers.vary).toBe('Accept, Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
  });
});

describe('metrics', () => {
  it('registers ward_cors_rejected_total with four zeroed reasons, honours prefix, and is shared by two instances', async () => {
    const registry = new Registry();
    cors({ origin: [APP], registry });
    expect(await rejectedLines(registry)).toEqual(counted(0));
    const metric = await registry.getSingleMetricAsString('ward_cors_rejected_total');
    expect(metric.split('\n')[1]).toBe('# TYPE ward_cors_rejected_total counter');
    const a = cors({ origin: [APP], registry });
    const b = cors({ origin: ['https://other.example'], registry });
    const server = await serve([a, b]);
    try {
      await get(server.url, EVIL);
    } finally {
      await server.close();
    }
    expect(await rejectedLines(registry)).toEqual(counted(2));
    cors({ origin: [APP], registry, prefix: 'acme_' });
    expect(await rejectedLines(registry, 'acme_cors_rejected_total')).toEqual(counted(0, 0, 0, 0, 'acme_cors_rejected_total'));
  });
});
