/**
 * securityHeaders() as the README mounts it, through real HTTP on Express 5,
 * Express 4, Fastify 5 and node:http: X-Powered-By gone (Express sets it,
 * and a mounted sub-app sets it again), Express's own 404 and error pages,
 * nonces read by framework handlers with `cspNonce(req)`, route additions in
 * a nested ward layer, streamed documents, and helmet alongside.
 */
import { createServer } from 'node:http';
import { type TestResponse, listen, request } from '@ward/core/testing';
import { ward } from '@ward/express';
import { ward as wardFastify } from '@ward/fastify';
import { wardListener } from '@ward/node';
import { cspAdditions, cspNonce, securityHeaders } from '@ward/security-headers';
import express5 from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import helmet from 'helmet';
import { afterEach, describe, expect, it } from 'vitest';
import { API, BROWSER, DEFAULT_CSP, HTML_TYPE, occurrences, securityHeadersOf } from './helpers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});
async function serve(target: Parameters<typeof listen>[0]): Promise<(path: string) => Promise<TestResponse>> {
  const server = await listen(target);
  closers.push(() => server.close());
  return (path) => request(server.url + path);
}

const withNonce = { contentSecurityPolicy: { directives: { scriptSrc: ["'self'", "'nonce'"] } } } as const;
const nonceCsp = (nonce: string, extra = ''): string => DEFAULT_CSP.replace("script-src 'self'", `script-src 'self' 'nonce-${nonce}'${extra}`);
/** What Express's finalhandler sets on its own 404 and 500 pages. */
const FINALHANDLER_CSP = "default-src 'none'";

describe.each([
  ['express 5', express5],
  ['express 4', express4],
] as const)('%s', (_name, express) => {
  function app() {
    const app = express();
    app.set('env', 'test');
    return app;
  }

  it('X-Powered-By is gone everywhere: routes, a sub-app, the 404 and the error page', async () => {
    const main = app();
    expect(main.enabled('x-powered-by')).toBe(true);
    main.use(ward([securityHeaders()]));
    main.get('/json', (_req, res) => {
      res.json({ ok: true });
    });
    main.get('/html', (_req, res) => {
      res.send('<p>hi</p>');
    });
    main.get('/boom', () => {
      throw new Error('kaput');
    });
    const sub = app();
    sub.get('/page', (_req, res) => {
      res.send('<p>sub</p>');
    });
    main.use('/sub', sub);
    const get = await serve(main);

    expect(securityHeadersOf(await get('/json'))).toEqual(API);
    expect(securityHeadersOf(await get('/html'))).toEqual(BROWSER);
    expect(securityHeadersOf(await get('/sub/page'))).toEqual(BROWSER);
    const missing = await get('/nope');
    expect(missing.status).toBe(404);
    expect(securityHeadersOf(missing)).toEqual({ ...BROWSER, 'content-security-policy': FINALHANDLER_CSP });
    const failed = await get('/boom');
    expect(failed.status).toBe(500);
    // next() rejected: only what was set before the handler is there, plus finalhandler's own CSP.
    expect(securityHeadersOf(failed)).toEqual({ ...API, 'content-security-policy': FINALHANDLER_CSP });
  });

  it('handlers read the nonce with cspNonce(req); a route-level ward layer adds sources with the same nonce', async () => {
    const main = app();
    main.use(ward([securityHeaders(withNonce)]));
    main.get('/', (req, res) => {
      res.send(`<script nonce="${cspNonce(req)}"></script>`);
    });
    main.get('/widget', ward([cspAdditions({ scriptSrc: ['https://cdn.example.com'] })]), (req, res) => {
      res.send(cspNonce(req));
    });
    const get = await serve(main);

    const page = await get('/');
    const nonce = /nonce="([^"]+)"/.exec(page.text)![1]!;
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(page.headers['content-security-policy']).toBe(nonceCsp(nonce));
    const widget = await get('/widget');
    expect(widget.headers['content-security-policy']).toBe(nonceCsp(widget.text, ' https://cdn.example.com'));
    expect(widget.text).not.toBe(nonce);
  });

  it("a streamed document carries the API set; with browserTypes '*' the full set", async () => {
    for (const [options, expected] of [
      [{}, API],
      [{ browserTypes: '*' as const }, BROWSER],
    ] as const) {
      const main = app();
      main.use(ward([securityHeaders(options)]));
      main.get('/stream', (_req, res) => {
        res.type('html');
        res.write('<p>one</p>');
        setImmediate(() => res.end('<p>two</p>'));
      });
      const get = await serve(main);
      const res = await get('/stream');
      expect(res.headers['transfer-encoding']).toBe('chunked');
      expect(res.text).toBe('<p>one</p><p>two</p>');
      expect(securityHeadersOf(res)).toEqual(expected);
    }
  });

  it('beside helmet, every header appears once', async () => {
    const main = app();
    main.use(helmet());
    main.use(ward([securityHeaders()]));
    main.get('/html', (_req, res) => {
      res.send('<p>hi</p>');
    });
    const get = await serve(main);
    const res = await get('/html');
    for (const name of [...Object.keys(BROWSER), 'strict-transport-security']) expect(occurrences(res, name), name).toBe(1);
    // Ours overwrite the API set helmet set before; helmet's browser headers were there first and stay.
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self'");
  });
});

describe('fastify 5', () => {
  it('documents get the browser set, JSON and the 404 the API set; cspNonce(request)', async () => {
    const app = Fastify();
    await app.register(wardFastify([securityHeaders(withNonce)]));
    app.get('/html', async (request, reply) => reply.type('text/html').send(`<script nonce="${cspNonce(request)}"></script>`));
    app.get('/json', async () => ({ ok: true }));
    await app.ready();
    closers.push(() => app.close());
    const get = await serve(app.server);

    const page = await get('/html');
    const nonce = /nonce="([^"]+)"/.exec(page.text)![1]!;
    expect(securityHeadersOf(page)).toEqual({ ...BROWSER, 'content-security-policy': nonceCsp(nonce) });
    expect(securityHeadersOf(await get('/json'))).toEqual(API);
    const missing = await get('/nope');
    expect(missing.status).toBe(404);
    expect(securityHeadersOf(missing)).toEqual(API);
  });
});

describe('node:http', () => {
  it('a final handler writing HTML gets the browser set; cspNonce(req) reads the nonce', async () => {
    const listener = wardListener([securityHeaders(withNonce)], (req, res) => {
      res.setHeader('content-type', HTML_TYPE);
      res.end(String(cspNonce(req)));
    });
    const get = await serve(createServer(listener));
    const res = await get('/');
    expect(securityHeadersOf(res)).toEqual({ ...BROWSER, 'content-security-policy': nonceCsp(res.text) });
  });
});
