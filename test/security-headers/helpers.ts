/**
 * Test helpers: an engine app with one route per kind of answer, over a real
 * socket, and a look at what a middleware describes (rule 10) — the exact
 * headers it resolved at factory time.
 */
import { describeMiddleware, type Middleware } from '@ward/core';
import { type TestRequestOptions, type TestResponse, listen, request } from '@ward/core/testing';
import { Engine } from '@ward/engine';

export const HTML_TYPE = 'text/html; charset=utf-8';

export const DEFAULT_CSP =
  "default-src 'self'; base-uri 'self'; font-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; " +
  "img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' https: 'unsafe-inline'; " +
  'upgrade-insecure-requests';

export const PERMISSIONS =
  'accelerometer=(), autoplay=(), camera=(), cross-origin-isolated=(), display-capture=(), encrypted-media=(), fullscreen=(), ' +
  'geolocation=(), gyroscope=(), keyboard-map=(), magnetometer=(), microphone=(), midi=(), payment=(), picture-in-picture=(), ' +
  'publickey-credentials-get=(), screen-wake-lock=(), sync-xhr=(self), usb=(), web-share=(), xr-spatial-tracking=(), ' +
  'clipboard-read=(), clipboard-write=(), gamepad=(), hid=(), idle-detection=(), interest-cohort=(), serial=(), unload=()';

/** Every header securityHeaders() may send: the helper checks all of them, absent ones as `undefined`. */
export const ALL_HEADERS = [
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
  'cross-origin-resource-policy',
  'content-security-policy',
  'content-security-policy-report-only',
  'cross-origin-opener-policy',
  'cross-origin-embedder-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'permissions-policy',
  'reporting-endpoints',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
  'x-powered-by',
] as const;

/** The API set on plain HTTP. */
export const API: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
};

/** The full browser set on plain HTTP. */
export const BROWSER: Readonly<Record<string, string>> = {
  ...API,
  'content-security-policy': DEFAULT_CSP,
  'cross-origin-opener-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'permissions-policy': PERMISSIONS,
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

/** The security headers of a response: exactly the ones present, by lower-case name. */
export function securityHeadersOf(res: TestResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ALL_HEADERS) {
    const value = res.headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** How many times a header name appears on the wire. */
export function occurrences(res: TestResponse, name: string): number {
  let n = 0;
  for (let i = 0; i < res.rawHeaders.length; i += 2) if (res.rawHeaders[i]!.toLowerCase() === name) n++;
  return n;
}

/** The resolved configuration a securityHeaders() middleware describes. */
export function described(middleware: Middleware): Record<string, unknown> {
  return describeMiddleware(middleware).options as Record<string, unknown>;
}

/** The browser-set headers a middleware resolved, by header name. */
export function browserOf(middleware: Middleware): Record<string, string> {
  return described(middleware)['browser'] as Record<string, string>;
}

export interface App {
  url: string;
  get(path: string, options?: TestRequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

/**
 * An engine with `middleware` in front of these routes:
 * `/html` (text/html, body = the nonce), `/json`, `/problem` (404 problem),
 * `/plain`, `/svg`, `/xhtml`, `/xml`, `/notype` (a body without Content-Type),
 * `/empty` (204), `/stream` (streamed text/html), plus `extra` routes.
 */
export async function engineApp(middleware: Middleware[], extra?: (engine: Engine) => void, options: ConstructorParameters<typeof Engine>[0] = {}): Promise<App> {
  const engine = new Engine({ onError: () => {}, ...options });
  engine.use(...middleware);
  engine.get('/html', (ctx) => ctx.respond(200, `nonce=${ctx.state.cspNonce ?? ''}`, { 'content-type': HTML_TYPE }));
  engine.get('/json', (ctx) => ctx.json(200, { ok: true }));
  engine.get('/problem', (ctx) => ctx.problem(new Error('kaput')));
  engine.get('/plain', (ctx) => ctx.text(200, 'plain'));
  engine.get('/svg', (ctx) => ctx.respond(200, '<svg xmlns="http://www.w3.org/2000/svg"/>', { 'content-type': 'image/svg+xml' }));
  engine.get('/xhtml', (ctx) => ctx.respond(200, '<html/>', { 'content-type': 'application/xhtml+xml; charset=utf-8' }));
  engine.get('/xml', (ctx) => ctx.respond(200, '<a/>', { 'content-type': 'application/xml' }));
  engine.get('/notype', (ctx) => ctx.respond(200, '<script>alert(1)</script>'));
  engine.get('/empty', (ctx) => ctx.respond(204));
  engine.get('/stream', (ctx) =>
    ctx.stream(
      (async function* () {
        yield '<p>one</p>';
        yield '<p>two</p>';
      })(),
      { contentType: HTML_TYPE },
    ),
  );
  extra?.(engine);
  const server = await listen(engine.handler);
  return { url: server.url, get: (path, options) => request(server.url + path, options), close: () => server.close() };
}
