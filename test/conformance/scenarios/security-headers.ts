/**
 * Scenarios: @ward/security-headers on every adapter — the API set on every
 * answer (JSON, streamed, problem+json made outside it, late answers), the
 * browser set on documents decided after the handler from the content type
 * (which lives in the framework's own header store), nonces, route
 * additions, the handler's own headers, HSTS over TLS only, and
 * `X-Powered-By` gone (Express sets it).
 */
import { setImmediate as tick } from 'node:timers/promises';
import { expect } from 'vitest';
import { HttpError, type Middleware } from '@ward/core';
import { cspAdditions, securityHeaders } from '@ward/security-headers';
import { checkResponse, type Scenario } from '../harness.js';
import { JSON_BODY, type Probe, STREAM_CHUNKS, TEXT_BODY } from '../probe.js';
import { catchToProblem } from './shared.js';

const HTML_TYPE = 'text/html; charset=utf-8';
const DEFAULT_CSP =
  "default-src 'self'; base-uri 'self'; font-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; " +
  "img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' https: 'unsafe-inline'; " +
  'upgrade-insecure-requests';
const PERMISSIONS =
  'accelerometer=(), autoplay=(), camera=(), cross-origin-isolated=(), display-capture=(), encrypted-media=(), fullscreen=(), ' +
  'geolocation=(), gyroscope=(), keyboard-map=(), magnetometer=(), microphone=(), midi=(), payment=(), picture-in-picture=(), ' +
  'publickey-credentials-get=(), screen-wake-lock=(), sync-xhr=(self), usb=(), web-share=(), xr-spatial-tracking=(), ' +
  'clipboard-read=(), clipboard-write=(), gamepad=(), hid=(), idle-detection=(), interest-cohort=(), serial=(), unload=()';
const HSTS = 'max-age=63072000; includeSubDomains';

/** The API set on a plain-HTTP answer, and nothing of the browser set. */
const API = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': null,
  'x-powered-by': null,
  'content-security-policy': null,
  'content-security-policy-report-only': null,
  'cross-origin-opener-policy': null,
  'cross-origin-embedder-policy': null,
  'origin-agent-cluster': null,
  'referrer-policy': null,
  'permissions-policy': null,
  'reporting-endpoints': null,
  'x-dns-prefetch-control': null,
  'x-download-options': null,
  'x-permitted-cross-domain-policies': null,
  'x-xss-protection': null,
} as const;

/** The full browser set on a plain-HTTP document. */
const BROWSER = {
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
} as const;

/** Inside securityHeaders: turns the `text` handler's answer into a document after the handler ran. */
function retype(type: string): Middleware {
  return async function retype(ctx, next) {
    await next();
    if (ctx.req.path === '/text') ctx.res.setHeader('content-type', type);
  };
}

/** Inside securityHeaders: the nonce the handler would see, sent back in `x-nonce`. */
function showNonce(probe: Probe): Middleware {
  return async function showNonce(ctx, next) {
    const nonce = ctx.state.cspNonce;
    const seen = (probe.seen.nonces ??= []) as (string | undefined)[];
    seen.push(nonce);
    await next();
    if (nonce !== undefined) ctx.res.setHeader('x-nonce', nonce);
  };
}

export const SECURITY_HEADERS: readonly Scenario[] = [
  {
    name: 'security headers: a JSON answer gets the lean API set and no CSP bytes; X-Powered-By is gone',
    chain: () => [securityHeaders()],
    exchanges: [{ path: '/json', expect: { status: 200, headers: API, json: JSON_BODY } }],
    counts: { json: 1 },
  },
  {
    name: 'security headers: a document gets the full browser set, decided after the handler from its content type',
    chain: () => [securityHeaders(), retype(HTML_TYPE)],
    exchanges: [
      { path: '/text', expect: { status: 200, headers: { ...BROWSER, 'content-type': HTML_TYPE }, text: TEXT_BODY } },
      { path: '/json', expect: { status: 200, headers: API, json: JSON_BODY } },
    ],
    counts: { text: 1, json: 1 },
  },
  {
    name: 'security headers: text/plain and a 201 with its own headers keep the lean set',
    chain: () => [securityHeaders()],
    exchanges: [
      { path: '/text', expect: { status: 200, headers: { ...API, 'content-type': 'text/plain; charset=utf-8' }, text: TEXT_BODY } },
      { path: '/created', request: { method: 'POST' }, expect: { status: 201, headers: { ...API, 'x-handler': '1' }, json: { created: true } } },
    ],
    counts: { text: 1, created: 1 },
  },
  {
    name: 'security headers: a problem+json made outside it after a handler error still carries the API set, and no X-Powered-By or Server the failed downstream set',
    chain: (probe) => [
      catchToProblem(probe),
      securityHeaders({ removeHeaders: ['X-Powered-By', 'Server'] }),
      function revealing(ctx, next) {
        ctx.res.setHeader('x-powered-by', 'PHP/8.3');
        ctx.res.setHeader('server', 'Apache/2.4.1');
        return next();
      },
    ],
    exchanges: [
      {
        path: '/throw',
        expect: {
          status: 500,
          headers: { ...API, 'x-powered-by': null, server: null },
          problem: { type: 'urn:ward:problem:internal-error', title: 'Internal Server Error', status: 500, code: 'INTERNAL_ERROR' },
        },
      },
    ],
    counts: { throwSync: 1 },
  },
  {
    name: 'security headers: an answer made outside while the handler still runs (a timeout) carries the API set',
    chain: (probe) => [
      async function deadline(ctx, next) {
        if (ctx.req.path !== '/slow') return next();
        next().catch(() => {});
        await probe.slow.started.promise;
        ctx.problem(new HttpError(503));
      },
      securityHeaders(),
    ],
    async run({ probe, send, target }) {
      const res = await send('/slow');
      checkResponse(
        res,
        {
          status: 503,
          headers: API,
          problem: { type: 'urn:ward:problem:service-unavailable', title: 'Service Unavailable', status: 503, code: 'SERVICE_UNAVAILABLE' },
        },
        target,
        'the 503',
      );
      probe.slow.release.resolve();
      expect((await probe.slow.finished.promise).error, 'the late write threw').toBeUndefined();
      await tick();
    },
    counts: { slow: 1 },
  },
  {
    name: 'security headers: a streamed answer carries the API set (set before the handler)',
    chain: () => [securityHeaders()],
    exchanges: [
      {
        path: '/stream',
        expect: { status: 200, headers: { ...API, 'transfer-encoding': 'chunked' }, text: STREAM_CHUNKS.join('') },
      },
    ],
    counts: { stream: 1 },
  },
  {
    name: "security headers: browserTypes '*' sends the browser set on every answer, streamed ones too",
    chain: () => [securityHeaders({ browserTypes: '*' })],
    exchanges: [
      { path: '/stream', expect: { status: 200, headers: BROWSER, text: STREAM_CHUNKS.join('') } },
      { path: '/json', expect: { status: 200, headers: BROWSER, json: JSON_BODY } },
    ],
    counts: { stream: 1, json: 1 },
  },
  {
    name: 'security headers: the nonce in ctx.state is the one in the CSP, fresh per request',
    chain: (probe) => [
      securityHeaders({ contentSecurityPolicy: { directives: { scriptSrc: ["'self'", "'nonce'"], styleSrc: ["'self'", "'nonce'"] } } }),
      retype(HTML_TYPE),
      showNonce(probe),
    ],
    exchanges: [
      { path: '/text', expect: { status: 200, text: TEXT_BODY } },
      { path: '/text', expect: { status: 200, text: TEXT_BODY } },
      { path: '/json', expect: { status: 200, headers: { 'content-security-policy': null }, json: JSON_BODY } },
    ],
    counts: { text: 2, json: 1 },
    verify({ probe }, responses) {
      const nonces = probe.seen.nonces as string[];
      expect(nonces).toHaveLength(3);
      expect(new Set(nonces).size, 'a fresh nonce per request').toBe(3);
      for (const [i, res] of responses.slice(0, 2).entries()) {
        const nonce = nonces[i]!;
        expect(Buffer.from(nonce, 'base64').byteLength, 'nonce bytes').toBe(16);
        expect(res.headers['x-nonce']).toBe(nonce);
        expect(res.headers['content-security-policy']).toBe(
          DEFAULT_CSP.replace("script-src 'self'", `script-src 'self' 'nonce-${nonce}'`).replace(
            "style-src 'self' https: 'unsafe-inline'",
            `style-src 'self' 'nonce-${nonce}'`,
          ),
        );
      }
    },
  },
  {
    name: 'security headers: route additions merge into the base policy for that request only',
    chain: () => [
      securityHeaders(),
      retype(HTML_TYPE),
      async function onlyForText(ctx, next) {
        if (ctx.req.path !== '/text') return next();
        return additions(ctx, next);
      },
    ],
    exchanges: [
      {
        path: '/text',
        expect: {
          status: 200,
          headers: {
            'content-security-policy': DEFAULT_CSP.replace("script-src 'self'", "script-src 'self' https://cdn.example.com") + "; connect-src 'self' wss://live.example.com",
          },
          text: TEXT_BODY,
        },
      },
      { path: '/stream', expect: { status: 200, headers: API, text: STREAM_CHUNKS.join('') } },
    ],
    counts: { text: 1, stream: 1 },
  },
  {
    name: "security headers: a handler's own CSP and X-Frame-Options are kept, the rest is added",
    chain: () => [
      securityHeaders(),
      retype(HTML_TYPE),
      async function own(ctx, next) {
        await next();
        ctx.res.setHeader('content-security-policy', "default-src 'none'");
        ctx.res.setHeader('x-frame-options', 'SAMEORIGIN');
      },
    ],
    exchanges: [
      {
        path: '/text',
        expect: {
          status: 200,
          headers: { ...BROWSER, 'content-security-policy': "default-src 'none'", 'x-frame-options': 'SAMEORIGIN' },
          text: TEXT_BODY,
        },
      },
    ],
    counts: { text: 1 },
  },
  {
    name: 'security headers: HSTS over TLS said by a trusted proxy, with report-only and Reporting-Endpoints beside',
    options: { trustProxy: 'loopback' },
    chain: () => [
      securityHeaders({
        reportingEndpoints: { csp: 'https://reports.example.com/csp' },
        contentSecurityPolicy: { directives: { reportTo: 'csp' } },
        contentSecurityPolicyReportOnly: { useDefaults: false, directives: { requireTrustedTypesFor: ["'script'"], reportTo: 'csp' } },
      }),
      retype(HTML_TYPE),
    ],
    exchanges: [
      {
        path: '/text',
        request: { headers: { 'x-forwarded-proto': 'https' } },
        expect: {
          status: 200,
          headers: {
            ...BROWSER,
            'strict-transport-security': HSTS,
            'content-security-policy': `${DEFAULT_CSP}; report-to csp`,
            'content-security-policy-report-only': "require-trusted-types-for 'script'; report-to csp",
            'reporting-endpoints': 'csp="https://reports.example.com/csp"',
          },
          text: TEXT_BODY,
        },
      },
      { path: '/json', request: { headers: { 'x-forwarded-proto': 'https' } }, expect: { status: 200, headers: { ...API, 'strict-transport-security': HSTS }, json: JSON_BODY } },
      { path: '/json', expect: { status: 200, headers: API, json: JSON_BODY } },
    ],
    counts: { text: 1, json: 2 },
  },
  {
    name: 'security headers: the framework 404 has the API set and no X-Powered-By',
    chain: () => [securityHeaders()],
    exchanges: [
      {
        path: '/nope',
        expect: {
          status: 404,
          notFound: true,
          headers: { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'cross-origin-resource-policy': 'same-origin', 'x-powered-by': null },
        },
      },
    ],
    counts: {},
  },
  {
    name: 'security headers: X-Forwarded-Proto from an untrusted peer does not turn HSTS on',
    group: 'security',
    chain: () => [securityHeaders(), retype(HTML_TYPE)],
    exchanges: [
      { path: '/text', request: { headers: { 'x-forwarded-proto': 'https' } }, expect: { status: 200, headers: BROWSER, text: TEXT_BODY } },
    ],
    counts: { text: 1 },
  },
  {
    name: 'security headers: a client asking for HTML does not change the profile of a JSON answer',
    group: 'security',
    chain: () => [securityHeaders()],
    exchanges: [
      {
        path: '/json',
        request: { headers: { accept: 'text/html', 'sec-fetch-dest': 'document', 'content-type': 'text/html' } },
        expect: { status: 200, headers: API, json: JSON_BODY },
      },
    ],
    counts: { json: 1 },
  },
  {
    name: 'security headers: odd casing and parameters of the content type still select the browser set; look-alikes do not',
    group: 'security',
    chain: (probe) => [
      securityHeaders(),
      async function oddTypes(ctx, next) {
        await next();
        const n = ((probe.seen.n as number | undefined) ?? 0) + 1;
        probe.seen.n = n;
        ctx.res.setHeader('content-type', n === 1 ? 'TEXT/Html ;charset=UTF-8' : n === 2 ? 'text/html-not' : 'application/json; x=text/html');
      },
    ],
    exchanges: [
      { path: '/json', expect: { status: 200, headers: { ...BROWSER, 'content-type': 'TEXT/Html ;charset=UTF-8' } } },
      { path: '/json', expect: { status: 200, headers: { ...API, 'content-type': 'text/html-not' } } },
      { path: '/json', expect: { status: 200, headers: { ...API, 'content-type': 'application/json; x=text/html' } } },
    ],
    counts: { json: 3 },
  },
  {
    name: 'security headers: applied twice, every header appears once (exact values, no "DENY, DENY")',
    group: 'security',
    chain: () => [securityHeaders(), securityHeaders(), retype(HTML_TYPE)],
    exchanges: [{ path: '/text', expect: { status: 200, headers: { ...BROWSER, 'content-type': HTML_TYPE }, text: TEXT_BODY } }],
    counts: { text: 1 },
  },
];

const additions = cspAdditions({ scriptSrc: ['https://cdn.example.com'], connectSrc: ['wss://live.example.com'] });
