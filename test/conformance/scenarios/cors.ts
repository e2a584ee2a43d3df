/**
 * Scenarios: @ward/cors on every adapter — allowed and refused origins,
 * preflights answered 204 without the handler, Vary kept right, origin
 * functions that fail, and hostile Origin values (raw sockets included).
 */
import { connect } from 'node:net';
import { type Context, type Middleware } from '@ward/core';
import { cors, type CorsOptions } from '@ward/cors';
import { timeout } from '@ward/timeout';
import { Registry } from 'prom-client';
import { expect } from 'vitest';
import type { Scenario } from '../harness.js';
import { JSON_BODY, type Probe, STREAM_CHUNKS, TEXT_TYPE } from '../probe.js';
import { catchToProblem } from './shared.js';

const ALLOWED = 'https://app.example.com';
const EVIL = 'https://evil.example';
const METHODS = 'GET, HEAD, PUT, PATCH, POST, DELETE';
const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

/** Every CORS response header, absent: what a refused origin gets. */
const NO_CORS = {
  'access-control-allow-origin': null,
  'access-control-allow-credentials': null,
  'access-control-allow-methods': null,
  'access-control-allow-headers': null,
  'access-control-expose-headers': null,
  'access-control-max-age': null,
} as const;

/** cors() with its own registry, kept on the probe for the metric checks. */
function corsOn(probe: Probe, options: Omit<CorsOptions, 'registry'>): Middleware {
  const registry = new Registry();
  probe.seen['registry'] = registry;
  return cors({ ...options, registry });
}

/** The `ward_cors_rejected_total` lines of the run's registry. */
async function rejections(probe: Probe): Promise<string[]> {
  const text = await (probe.seen['registry'] as Registry).metrics();
  return text.split('\n').filter((line) => line.startsWith('ward_cors_rejected_total{'));
}

const counted = (origin: number, method = 0, headers = 0, error = 0): string[] => [
  `ward_cors_rejected_total{reason="origin"} ${origin}`,
  `ward_cors_rejected_total{reason="method"} ${method}`,
  `ward_cors_rejected_total{reason="headers"} ${headers}`,
  `ward_cors_rejected_total{reason="error"} ${error}`,
];

/** Answers any OPTIONS itself (an app's own OPTIONS handler); passes everything else on. */
function optionsHandler(probe: Probe): Middleware {
  return function optionsHandler(ctx: Context, next) {
    if (ctx.req.method !== 'OPTIONS') return next();
    probe.log.push('options handler');
    ctx.text(200, 'options reached');
  };
}

const preflight = (origin: string, method = 'PUT', headers?: string) => ({
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': method, ...(headers === undefined ? {} : { 'access-control-request-headers': headers }) },
});

/** Sends raw bytes on a fresh socket and resolves with everything the server wrote until it closed. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(received));
    socket.write(bytes);
  });
}

export const CORS: readonly Scenario[] = [
  {
    name: 'cors: an allowed origin gets Allow-Origin, credentials, exposed headers and Vary: Origin on the handler answer',
    chain: (probe) => [corsOn(probe, { origin: [ALLOWED], credentials: true, exposedHeaders: ['x-request-id'] })],
    exchanges: [
      {
        path: '/json',
        request: { headers: { origin: ALLOWED } },
        expect: {
          status: 200,
          json: JSON_BODY,
          headers: {
            'access-control-allow-origin': ALLOWED,
            'access-control-allow-credentials': 'true',
            'access-control-expose-headers': 'x-request-id',
            'access-control-allow-methods': null,
            'access-control-max-age': null,
            vary: 'Origin',
          },
        },
      },
    ],
    counts: { json: 1 },
    async verify({ probe }) {
      expect(await rejections(probe)).toEqual(counted(0));
    },
  },
  {
    name: 'cors: a refused origin gets no CORS headers, Vary: Origin, and the handler still answers',
    chain: (probe) => [corsOn(probe, { origin: [ALLOWED], credentials: true, exposedHeaders: ['x-request-id'] })],
    exchanges: [
      { path: '/json', request: { headers: { origin: EVIL } }, expect: { status: 200, json: JSON_BODY, headers: { ...NO_CORS, vary: 'Origin' } } },
      { path: '/created', request: { method: 'POST', headers: { origin: EVIL } }, expect: { status: 201, headers: { ...NO_CORS, vary: 'Origin', 'x-handler': '1' } } },
    ],
    counts: { json: 1, created: 1 },
    async verify({ probe }) {
      expect(await rejections(probe)).toEqual(counted(2));
    },
  },
  {
    name: 'cors: a request without Origin passes untouched but for Vary: Origin',
    chain: (probe) => [corsOn(probe, { origin: [ALLOWED] })],
    exchanges: [{ path: '/text', expect: { status: 200, text: 'hello from the handler', headers: { ...NO_CORS, vary: 'Origin', 'content-type': TEXT_TYPE } } }],
    counts: { text: 1 },
    async verify({ probe }) {
      expect(await rejections(probe)).toEqual(counted(0));
    },
  },
  {
    name: "cors: origin '*' sends Allow-Origin: * on every response, without Vary",
    chain: (probe) => [corsOn(probe, { origin: '*' })],
    exchanges: [
      { path: '/json', request: { headers: { origin: EVIL } }, expect: { status: 200, json: JSON_BODY, headers: { 'access-control-allow-origin': '*', vary: null } } },
      { path: '/json', expect: { status: 200, json: JSON_BODY, headers: { 'access-control-allow-origin': '*', vary: null } } },
      {
        path: '/json',
        request: preflight('null', 'DELETE'),
        expect: {
          status: 204,
          text: '',
          headers: {
            'access-control-allow-origin': '*',
            'access-control-allow-credentials': null,
            'access-control-allow-methods': METHODS,
            'access-control-max-age': '600',
            vary: 'Access-Control-Request-Method, Access-Control-Request-Headers',
          },
        },
      },
    ],
    counts: { json: 2 },
  },
  {
    name: 'cors: a preflight is answered 204 with methods, headers and max-age without running the handler',
    chain: (probe) => [corsOn(probe, { origin: [ALLOWED], credentials: true, exposedHeaders: ['x-request-id'] })],
    exchanges: [
      {
        path: '/json',
        request: preflight(ALLOWED, 'PUT', 'content-type,x-api-key'),
        expect: {
          status: 204,
          text: '',
          headers: {
            'access-control-allow-origin': ALLOWED,
            'access-control-allow-credentials': 'true',
            'access-control-allow-methods': METHODS,
            'access-control-allow-headers': 'content-type,x-api-key',
            'access-control-max-age': '600',
            'access-control-expose-headers': null,
            'content-length': null,
            vary: PREFLIGHT_VARY,
          },
        },
      },
      {
        // RFC 9110 §5.6.1: empty list elements are accepted; the echo leaves them out (Fetch refuses an empty name).
        path: '/json',
        request: preflight(ALLOWED, 'PUT', ', content-type, ,x-api-key,'),
        expect: { status: 204, headers: { 'access-control-allow-origin': ALLOWED, 'access-control-allow-headers': 'content-type, x-api-key' } },
      },
      {
        // A path no route has: the preflight is answered before routing on every stack.
        path: '/nope',
        request: preflight(ALLOWED, 'DELETE'),
        expect: {
          status: 204,
          text: '',
          headers: { 'access-control-allow-origin': ALLOWED, 'access-control-allow-methods': METHODS, 'access-control-allow-headers': null, vary: PREFLIGHT_VARY },
        },
      },
    ],
    counts: {},
    async verify({ probe }) {
      expect(await rejections(probe)).toEqual(counted(0));
    },
  },
  {
    name: 'cors: a preflight from a refused origin is a plain 204 without CORS headers',
    chain: (probe) => [corsOn(probe, { origin: [ALLOWED], credentials: true })],
    exchanges: [
      {
        path: '/json',
        request: preflight(EVIL, 'PUT', 'x-api-key'),
        expect: { status: 204, text: '', headers: { ...NO_CORS, 'content-length': null, vary: PREFLIGHT_VARY } },
      },
    ],
    counts: {},
    async verify({ probe }) {
      expect(await rejections(probe)).toEqual(counted(1));
    },
  },
  {
    name: 'cors: a preflight asking for a method or header outside a fixed policy gets the policy and is counted',
    chain: (probe) => [corsOn(probe, { origin: [ALLOWED], methods: ['GET', 'PUT'], allowedHeaders: ['Content-Type', 'X-Api-Key'], maxAgeSec: 120 })],
    exchanges: [
      {
        path: '/json',
        request: preflight(ALLOWED, 'DELETE'),
        expect: {
          status: 204,
          headers: {
            'access-control-allow-origin': ALLOWED,
            'access-control-allow-methods': 'GET, PUT',
            'access-control-allow-headers': 'content-type, x-api-key',
            'access-control-max-age': '120',
          },
        },
      },
      {
        path: '/json',
        request: preflight(ALLOWED, 'PUT', 'content-type,x-secret'),
        expect: { status: 204, headers: { 'access-control-allow-origin': ALLOWED, 'access-control-allow-headers': 'content-type, x-api-key' } },
      },
      {
        // A safelisted method passes whatever the list says (Fetch); listed headers pass.
        path: '/json',
        request: preflight(ALLOWED, 'POST', 'X-API-KEY, content-type'),
        expect: { status: 204, headers: { 'access-control-allow-origin': ALLOWED, 'access-control-allow-methods': 'GET, PUT' } },
      },
      {
        // Empty list elements (RFC 9110 §5.6.1) are no header: the listed ones are covered, nothing is counted.
        path: '/json',
        request: preflight(ALLOWED, 'PUT', 'x-api-key, ,content-type,'),
        expect: { status: 204, headers: { 'access-control-allow-origin': ALLOWED, 'access-control-allow-headers': 'content-type, x-api-key' } },
      },
    ],
    counts: {},
    async verify({ probe }) {
      expect(await rejections(probe)).toEqual(counted(0, 1, 1));
    },
  },
  {
    name: 'cors: an OPTIONS without Access-Control-Request-Method is not a preflight and reaches next()',
    chain: (probe) => [corsOn(probe, { origin: [ALLOWED] }), optionsHandler(probe)],
    exchanges: [
      {
        path: '/json',
        request: { method: 'OPTIONS', headers: { origin: ALLOWED } },
        expect: {
          status: 200,
          text: 'options reached',
          headers: { 'access-control-allow-origin': ALLOWED, 'access-control-allow-methods': null, 'access-control-max-age': null, vary: 'Origin' },
        },
      },
    ],
    counts: {},
    log: ['options handler'],
  },
  {
    name: "cors: preflightContinue passes the preflight to the app's OPTIONS handler with the CORS headers set",
    chain: (probe) => [corsOn(probe, { origin: [ALLOWED], preflightContinue: true }), optionsHandler(probe)],
    exchanges: [
      {
        path: '/json',
        request: preflight(ALLOWED, 'PATCH', 'x-api-key'),
        expect: {
          status: 200,
          text: 'options reached',
          headers: {
            'access-control-allow-origin': ALLOWED,
            'access-control-allow-methods': METHODS,
            'access-control-allow-headers': 'x-api-key',
            'access-control-max-age': '600',
            vary: PREFLIGHT_VARY,
          },
        },
      },
      {
        path: '/json',
        request: preflight(EVIL, 'PATCH'),
        expect: { status: 200, text: 'options reached', headers: { ...NO_CORS, vary: PREFLIGHT_VARY } },
      },
    ],
    counts: {},
    log: ['options handler', 'options handler'],
  },
  {
    name: "cors: Vary: Origin joins the app's own Vary, before and after next(), and is never lost",
    chain: (probe) => [
      function varyAccept(ctx, next) {
        ctx.res.setHeader('vary', 'Accept');
        return next();
      },
      corsOn(probe, { origin: [ALLOWED] }),
      async function clobberVary(ctx, next) {
        await next();
        // A handler that sets Vary instead of appending to it.
        ctx.res.setHeader('vary', 'Accept-Encoding');
      },
    ],
    exchanges: [
      { path: '/json', request: { headers: { origin: ALLOWED } }, expect: { status: 200, headers: { vary: 'Accept-Encoding, Origin', 'access-control-allow-origin': ALLOWED } } },
      { path: '/json', expect: { status: 200, headers: { vary: 'Accept-Encoding, Origin' } } },
    ],
    counts: { json: 2 },
  },
  {
    name: 'cors: a handler that replaces Vary and then fails: the error answer made outside cors still has Vary: Origin (allowed origin, and none)',
    chain: (probe) => [
      catchToProblem(probe),
      corsOn(probe, { origin: [ALLOWED] }),
      function clobberThenThrow(ctx) {
        ctx.res.setHeader('vary', 'Accept');
        throw new Error('handler failed');
      },
    ],
    exchanges: [
      { path: '/json', request: { headers: { origin: ALLOWED } }, expect: { status: 500, headers: { vary: 'Accept, Origin', 'access-control-allow-origin': ALLOWED } } },
      { path: '/json', expect: { status: 500, headers: { vary: 'Accept, Origin', 'access-control-allow-origin': null } } },
    ],
    counts: {},
  },
  {
    name: "cors: an origin function that resolves after the deadline's 503 is out: the downstream never runs (no side effects for nobody)",
    chain: (probe) => [
      timeout({ timeoutMs: 20, registry: new Registry() }),
      corsOn(probe, {
        origin: (_origin, ctx) =>
          new Promise<boolean>((resolve) => {
            // Slower than the deadline: it answers once ctx.signal has aborted.
            ctx.signal.addEventListener('abort', () => resolve(true), { once: true });
          }),
      }),
    ],
    exchanges: [{ path: '/json', request: { headers: { origin: ALLOWED } }, expect: { status: 503, problem: expect.objectContaining({ code: 'TIMEOUT' }) } }],
    counts: { json: 0 },
  },
  {
    name: 'cors: the CORS headers of an allowed origin stay on an error answered downstream and on a streamed answer',
    chain: (probe) => [catchToProblem(probe), corsOn(probe, { origin: [ALLOWED] })],
    exchanges: [
      {
        path: '/throw',
        request: { headers: { origin: ALLOWED } },
        expect: {
          status: 500,
          problem: { type: 'urn:ward:problem:internal-error', title: 'Internal Server Error', status: 500, code: 'INTERNAL_ERROR' },
          headers: { 'access-control-allow-origin': ALLOWED, vary: 'Origin' },
        },
      },
      {
        path: '/stream',
        request: { headers: { origin: ALLOWED } },
        expect: { status: 200, text: STREAM_CHUNKS.join(''), headers: { 'access-control-allow-origin': ALLOWED, vary: 'Origin' } },
      },
    ],
    counts: { throwSync: 1, stream: 1 },
  },
  {
    name: 'cors: an async origin function decides; one that throws or rejects refuses the origin and is reported, never a 5xx',
    chain: (probe) =>
      [
        corsOn(probe, {
          origin: async (origin) => {
            if (origin === 'https://throws.example') throw new Error('allowlist store down');
            await Promise.resolve();
            if (origin === 'https://rejects.example') return Promise.reject(new Error('allowlist timeout'));
            return origin.endsWith('.example.com');
          },
          onError: (error) => probe.caught.push(error),
        }),
      ],
    exchanges: [
      { path: '/json', request: { headers: { origin: ALLOWED } }, expect: { status: 200, json: JSON_BODY, headers: { 'access-control-allow-origin': ALLOWED, vary: 'Origin' } } },
      { path: '/json', request: { headers: { origin: EVIL } }, expect: { status: 200, json: JSON_BODY, headers: { ...NO_CORS, vary: 'Origin' } } },
      { path: '/json', request: { headers: { origin: 'https://throws.example' } }, expect: { status: 200, json: JSON_BODY, headers: { ...NO_CORS, vary: 'Origin' } } },
      { path: '/json', request: preflight('https://rejects.example'), expect: { status: 204, text: '', headers: { ...NO_CORS, vary: PREFLIGHT_VARY } } },
    ],
    counts: { json: 3 },
    async verify({ probe }) {
      expect(probe.caught.map((error) => (error as Error).message)).toEqual(['allowlist store down', 'allowlist timeout']);
      expect(await rejections(probe)).toEqual(counted(1, 0, 0, 2));
    },
  },

  // ── security: hostile Origin values ──────────────────────────────────
  {
    name: 'cors: look-alike, malformed and unlisted Origin values get no CORS headers and never a 5xx',
    group: 'security',
    chain: (probe) => [corsOn(probe, { origin: [ALLOWED, 'https://bücher.example'], credentials: true })],
    exchanges: [
      'null',
      'https://app.example.com.evil.example',
      'https://evil.app.example.com',
      'https://evilapp.example.com',
      'HTTPS://APP.EXAMPLE.COM',
      'https://app.example.com/',
      'https://app.example.com:443',
      'http://app.example.com',
      '*',
      `https://${'a'.repeat(8000)}.example.com`,
      'https://bücher.example', // raw latin1 bytes, not the punycode a browser sends
      'https://app.example.com, https://evil.example',
    ].map((origin) => ({
      path: '/json',
      request: { headers: { origin } },
      expect: { status: 200, json: JSON_BODY, headers: { ...NO_CORS, vary: 'Origin' } },
    })),
    counts: { json: 12 },
    async verify({ probe, send }) {
      // The punycode form of a configured IDN origin is what browsers send, and it matches.
      const idn = await send('/json', { headers: { origin: 'https://xn--bcher-kva.example' } });
      expect(idn.headers['access-control-allow-origin']).toBe('https://xn--bcher-kva.example');
      expect(await rejections(probe)).toEqual(counted(12));
    },
  },
  {
    name: 'cors: two Origin headers are refused, in either order, on simple requests and preflights',
    group: 'security',
    chain: (probe) => [corsOn(probe, { origin: [ALLOWED, 'https://admin.example.com'] })],
    exchanges: [
      {
        path: '/json',
        request: { headers: ['Origin', ALLOWED, 'Origin', 'https://admin.example.com'] },
        expect: { status: 200, json: JSON_BODY, headers: { ...NO_CORS, vary: 'Origin' } },
      },
      {
        path: '/json',
        request: { method: 'OPTIONS', headers: ['Origin', EVIL, 'Origin', ALLOWED, 'Access-Control-Request-Method', 'PUT'] },
        expect: { status: 204, headers: { ...NO_CORS, vary: PREFLIGHT_VARY } },
      },
    ],
    counts: { json: 1 },
    async verify({ probe }) {
      expect(await rejections(probe)).toEqual(counted(2));
    },
  },
  {
    name: 'cors: an anchored RegExp refuses suffix, prefix and nested look-alikes of its domain',
    group: 'security',
    chain: (probe) => [corsOn(probe, { origin: /^https:\/\/[a-z0-9-]+\.example\.com$/, credentials: true })],
    exchanges: [
      { path: '/json', request: { headers: { origin: ALLOWED } }, expect: { status: 200, headers: { 'access-control-allow-origin': ALLOWED, 'access-control-allow-credentials': 'true' } } },
      ...['https://app.example.com.evil.example', 'https://evil.com.app.example.com', 'https://app.example.com:8443', 'null', 'https://app.example.com.'].map(
        (origin) => ({ path: '/json', request: { headers: { origin } }, expect: { status: 200, headers: { ...NO_CORS, vary: 'Origin' } } }),
      ),
    ],
    counts: { json: 6 },
    async verify({ probe }) {
      expect(await rejections(probe)).toEqual(counted(5));
    },
  },
  {
    name: 'cors: CR/LF in an Origin header never becomes a reflected header and never a 5xx (raw socket)',
    group: 'security',
    chain: (probe) => [corsOn(probe, { origin: [ALLOWED] })],
    counts: {},
    async run({ url }) {
      // A bare CR inside the value, and a folded continuation line carrying a header of its own.
      const attacks = [
        `GET /json HTTP/1.1\r\nHost: x\r\nOrigin: ${ALLOWED}\rAccess-Control-Allow-Origin: ${EVIL}\r\nConnection: close\r\n\r\n`,
        `GET /json HTTP/1.1\r\nHost: x\r\nOrigin: ${ALLOWED}\r\n Access-Control-Allow-Credentials: true\r\nConnection: close\r\n\r\n`,
        `OPTIONS /json HTTP/1.1\r\nHost: x\r\nOrigin: ${EVIL}\r\nAccess-Control-Request-Method: PUT\nSet-Cookie: a=b\r\nConnection: close\r\n\r\n`,
      ];
      for (const bytes of attacks) {
        const answer = await rawExchange(url, bytes);
        const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1]);
        expect(status, answer).toBe(400);
        expect(answer.toLowerCase()).not.toContain('access-control-allow');
        expect(answer.toLowerCase()).not.toContain('set-cookie');
      }
    },
  },
];
