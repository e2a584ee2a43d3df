/**
 * securityHeaders() on the ward engine over real sockets: the profile chosen
 * from the response's content type, HSTS over TLS only, nonces, route
 * additions, the handler's own headers, `browserTypes: '*'`, and hostile
 * requests and responses.
 */
import { randomBytes } from 'node:crypto';
import { HttpError } from '@ward/core';
import { cspAdditions, securityHeaders } from '@ward/security-headers';
import { afterEach, describe, expect, it } from 'vitest';
import { API, type App, BROWSER, DEFAULT_CSP, engineApp, HTML_TYPE, occurrences, securityHeadersOf } from './helpers.js';

const apps: App[] = [];
afterEach(async () => {
  while (apps.length > 0) await apps.pop()!.close();
});
async function start(...args: Parameters<typeof engineApp>): Promise<App> {
  const app = await engineApp(...args);
  apps.push(app);
  return app;
}

const HSTS = { 'strict-transport-security': 'max-age=63072000; includeSubDomains' };
const NONCE_CSP = (nonce: string): string => DEFAULT_CSP.replace("script-src 'self'", `script-src 'self' 'nonce-${nonce}'`);

describe('profiles by response type', () => {
  it.each<[string, Record<string, string>]>([
    ['/html', BROWSER],
    ['/xhtml', BROWSER],
    ['/svg', BROWSER],
    ['/xml', BROWSER],
    ['/notype', BROWSER],
    ['/stream', API],
    ['/json', API],
    ['/problem', API],
    ['/plain', API],
    ['/empty', API],
    ['/nope', API],
  ])('%s', async (path, expected) => {
    const app = await start([securityHeaders()]);
    const res = await app.get(path);
    expect(securityHeadersOf(res)).toEqual(expected);
  });

  it('HEAD of a document gets the browser set', async () => {
    const app = await start([securityHeaders()]);
    const res = await app.get('/html', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(securityHeadersOf(res)).toEqual(BROWSER);
  });

  it('browserTypes chooses the document types; unlisted types get the API set', async () => {
    const app = await start([securityHeaders({ browserTypes: ['application/json'] })]);
    expect(securityHeadersOf(await app.get('/json'))).toEqual(BROWSER);
    expect(securityHeadersOf(await app.get('/html'))).toEqual(API);
  });

  it("browserTypes '*': the browser set on every answer, streamed ones included", async () => {
    const app = await start([securityHeaders({ browserTypes: '*' })]);
    for (const path of ['/json', '/stream', '/empty', '/nope']) expect(securityHeadersOf(await app.get(path)), path).toEqual(BROWSER);
  });
});

describe('HSTS', () => {
  it('only over TLS, as a trusted proxy says (RFC 6797 §7.2)', async () => {
    const app = await start([securityHeaders()], undefined, { trustProxy: 'loopback' });
    expect(securityHeadersOf(await app.get('/json', { headers: { 'x-forwarded-proto': 'https' } }))).toEqual({ ...API, ...HSTS });
    expect(securityHeadersOf(await app.get('/html', { headers: { 'x-forwarded-proto': 'https' } }))).toEqual({ ...BROWSER, ...HSTS });
    expect(securityHeadersOf(await app.get('/json', { headers: { 'x-forwarded-proto': 'http' } }))).toEqual(API);
    expect(securityHeadersOf(await app.get('/json'))).toEqual(API);
  });

  it('httpsOnly: false sends it on plain HTTP too (a proxy ward cannot see)', async () => {
    const app = await start([securityHeaders({ strictTransportSecurity: { httpsOnly: false } })]);
    expect(securityHeadersOf(await app.get('/json'))).toEqual({ ...API, ...HSTS });
  });

  it('exactly one max-age, preload only with a year and subdomains', async () => {
    const app = await start([securityHeaders({ strictTransportSecurity: { maxAgeSec: 31_536_000, preload: true, httpsOnly: false } })]);
    const res = await app.get('/json');
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains; preload');
    expect(occurrences(res, 'strict-transport-security')).toBe(1);
  });
});

describe('nonces', () => {
  const withNonce = { contentSecurityPolicy: { directives: { scriptSrc: ["'self'", "'nonce'"] } } } as const;

  it('ctx.state.cspNonce is the nonce in the CSP: 16 random bytes in base64, fresh per request', async () => {
    const app = await start([securityHeaders(withNonce)]);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const res = await app.get('/html');
      const nonce = res.text.slice('nonce='.length);
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(Buffer.from(nonce, 'base64').byteLength).toBe(16);
      expect(res.headers['content-security-policy']).toBe(NONCE_CSP(nonce));
      seen.add(nonce);
    }
    // 300 requests span more than one refill of the 4 KiB pool (256 nonces each).
    expect(seen.size).toBe(300);
  });

  it('injected randomBytes and nonceBytes make the nonce', async () => {
    const sizes: number[] = [];
    let fill = 0;
    const app = await start([
      securityHeaders({
        ...withNonce,
        nonceBytes: 24,
        randomBytes: (size) => {
          sizes.push(size);
          return new Uint8Array(size).fill(++fill);
        },
      }),
    ]);
    const first = await app.get('/html');
    const second = await app.get('/html');
    expect(first.text).toBe(`nonce=${Buffer.alloc(24, 1).toString('base64')}`);
    expect(second.text).toBe(`nonce=${Buffer.alloc(24, 2).toString('base64')}`);
    expect(second.headers['content-security-policy']).toBe(NONCE_CSP(Buffer.alloc(24, 2).toString('base64')));
    expect(sizes).toEqual([24, 24]);
  });

  it("a route's cspAdditions({ …: [\"'nonce'\"] }) gets its nonce from the base's nonceBytes and randomBytes too", async () => {
    const sizes: number[] = [];
    const app = await start([
      securityHeaders({
        nonceBytes: 32,
        randomBytes: (size) => {
          sizes.push(size);
          return new Uint8Array(size).fill(7);
        },
      }),
      cspAdditions({ scriptSrc: ["'nonce'"] }),
    ]);
    const res = await app.get('/html');
    expect(res.text).toBe(`nonce=${Buffer.alloc(32, 7).toString('base64')}`);
    expect(sizes).toEqual([32]);
  });

  it('no nonce is made when no directive asks for one', async () => {
    let calls = 0;
    const app = await start([securityHeaders({ randomBytes: (size) => (calls++, randomBytes(size)) })]);
    const res = await app.get('/html');
    expect(res.text).toBe('nonce=');
    expect(calls).toBe(0);
  });

  it('a JSON answer gets no CSP even with a nonce policy; the report-only policy shares the nonce', async () => {
    const app = await start([
      securityHeaders({ ...withNonce, contentSecurityPolicyReportOnly: { useDefaults: false, directives: { styleSrc: ["'nonce'"] } } }),
    ]);
    expect(securityHeadersOf(await app.get('/json'))).toEqual(API);
    const res = await app.get('/html');
    const nonce = res.text.slice('nonce='.length);
    expect(res.headers['content-security-policy']).toBe(NONCE_CSP(nonce));
    expect(res.headers['content-security-policy-report-only']).toBe(`style-src 'nonce-${nonce}'`);
  });

  it('a randomBytes that returns too few bytes fails the request loudly (500), not with a weak nonce', async () => {
    const app = await start([securityHeaders({ ...withNonce, randomBytes: () => new Uint8Array(4) })]);
    const res = await app.get('/html');
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('nonce-');
  });
});

describe('route additions', () => {
  const cdn = cspAdditions({ scriptSrc: ['https://cdn.example.com'], frameSrc: ['https://video.example.com'], formAction: ['https://pay.example.com'] });

  it('merge into the base policy for that route only; missing directives start from their fallback', async () => {
    const app = await start([securityHeaders()], (engine) => {
      engine.get('/widget', cdn, (ctx) => ctx.respond(200, 'w', { 'content-type': HTML_TYPE }));
    });
    expect((await app.get('/widget')).headers['content-security-policy']).toBe(
      DEFAULT_CSP.replace("script-src 'self'", "script-src 'self' https://cdn.example.com").replace(
        "form-action 'self'",
        "form-action 'self' https://pay.example.com",
      ) + "; frame-src 'self' https://video.example.com",
    );
    expect((await app.get('/html')).headers['content-security-policy']).toBe(DEFAULT_CSP);
  });

  it("replace 'none', stack in order, ignore a directive the base leaves unrestricted, and bring their own nonce", async () => {
    const objects = cspAdditions({ objectSrc: ['https://flash.example'] });
    const nonce = cspAdditions({ scriptSrc: ["'nonce'"], baseUri: ['https://base.example'] });
    const app = await start([securityHeaders({ contentSecurityPolicy: { directives: { baseUri: null } } })], (engine) => {
      engine.get('/both', objects, nonce, objects, (ctx) => ctx.respond(200, ctx.state.cspNonce ?? '', { 'content-type': HTML_TYPE }));
    });
    const res = await app.get('/both');
    expect(res.text).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(res.headers['content-security-policy']).toBe(
      DEFAULT_CSP.replace("base-uri 'self'; ", '')
        .replace("object-src 'none'", 'object-src https://flash.example')
        .replace("script-src 'self'", `script-src 'self' 'nonce-${res.text}'`),
    );
  });

  it("with browserTypes '*', additions replace the policy set before the handler, not a handler's own", async () => {
    const app = await start([securityHeaders({ browserTypes: '*' })], (engine) => {
      engine.get('/widget', cdn, (ctx) => ctx.json(200, {}));
      engine.get('/own', cdn, (ctx) => ctx.json(200, {}, { 'content-security-policy': "default-src 'none'" }));
    });
    expect((await app.get('/widget')).headers['content-security-policy']).toContain("script-src 'self' https://cdn.example.com");
    expect((await app.get('/own')).headers['content-security-policy']).toBe("default-src 'none'");
  });
});

describe("the handler's own headers", () => {
  it('a handler may replace any header; the browser set fills in the rest', async () => {
    const app = await start([securityHeaders()], (engine) => {
      engine.get('/own', (ctx) =>
        ctx.respond(200, 'x', {
          'content-type': HTML_TYPE,
          'content-security-policy': "default-src 'none'; frame-ancestors 'self'",
          'x-frame-options': 'SAMEORIGIN',
          'referrer-policy': 'same-origin',
        }),
      );
    });
    expect(securityHeadersOf(await app.get('/own'))).toEqual({
      ...BROWSER,
      'content-security-policy': "default-src 'none'; frame-ancestors 'self'",
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'same-origin',
    });
  });

  it('headers set by an outer middleware before it are overwritten once, never doubled', async () => {
    const app = await start([
      async function outer(ctx, next) {
        ctx.res.setHeader('X-Frame-Options', 'SAMEORIGIN');
        ctx.res.setHeader('X-Powered-By', 'PHP/5.4');
        await next();
      },
      securityHeaders(),
      securityHeaders(),
    ]);
    const res = await app.get('/html');
    expect(securityHeadersOf(res)).toEqual(BROWSER);
    for (const name of Object.keys(BROWSER)) expect(occurrences(res, name), name).toBe(1);
  });

  it('an HttpError answered by an outer middleware keeps the API set and its own headers', async () => {
    const app = await start([
      async function catcher(ctx, next) {
        try {
          await next();
        } catch (error) {
          ctx.problem(error);
        }
      },
      securityHeaders(),
    ], (engine) => {
      engine.get('/limited', () => {
        throw new HttpError(429, { code: 'RATE_LIMITED', headers: { 'retry-after': '7' } });
      });
    });
    const res = await app.get('/limited');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(securityHeadersOf(res)).toEqual(API);
  });
});

describe('security: hostile requests and responses', () => {
  it('hostile request headers change nothing: same headers, no reflection', async () => {
    const app = await start([securityHeaders()], undefined, { trustProxy: 'loopback' });
    const res = await app.get('/json', {
      headers: {
        accept: 'text/html',
        'sec-fetch-dest': 'document',
        'x-forwarded-proto': 'https, http',
        'content-security-policy': "script-src 'unsafe-inline'",
        'x-frame-options': 'ALLOWALL',
        cookie: 'a'.repeat(8_000),
      },
    });
    expect(res.status).toBe(200);
    expect(securityHeadersOf(res)).toEqual({ ...API, ...HSTS });
  });

  it('X-Forwarded-Proto from an untrusted peer never turns HSTS on', async () => {
    const app = await start([securityHeaders()]);
    expect(securityHeadersOf(await app.get('/json', { headers: { 'x-forwarded-proto': 'https' } }))).toEqual(API);
  });

  it('a flood of distinct response content types is decided right and the decision cache stays bounded', async () => {
    const app = await start([securityHeaders()], (engine) => {
      engine.get('/type/:n', (ctx) => {
        const n = Number(ctx.param('n'));
        ctx.respond(200, 'x', { 'content-type': n % 2 === 0 ? `text/html; v=${n}` : `application/json; v=${n}` });
      });
    });
    for (let n = 0; n < 200; n++) {
      const res = await app.get(`/type/${n}`);
      expect(res.headers['content-security-policy'], `type ${n}`).toBe(n % 2 === 0 ? DEFAULT_CSP : undefined);
    }
  });

  it('many distinct combinations of additions stay correct past the merge cache', async () => {
    const hosts = Array.from({ length: 300 }, (_, i) => cspAdditions({ imgSrc: [`https://img${i}.example`] }));
    const app = await start([securityHeaders()], (engine) => {
      engine.get('/img/:n', (ctx, next) => hosts[Number(ctx.param('n'))]!(ctx, next), (ctx) => ctx.respond(200, 'x', { 'content-type': HTML_TYPE }));
    });
    for (const n of [...hosts.keys(), 0, 150]) {
      expect((await app.get(`/img/${n}`)).headers['content-security-policy']).toBe(DEFAULT_CSP.replace("img-src 'self' data:", `img-src 'self' data: https://img${n}.example`));
    }
  });
});
