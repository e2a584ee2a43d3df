/**
 * Scenarios: @ward/recovery on every adapter — thrown errors and non-Errors
 * become one problem+json answer and one report, secrets stay out of
 * reports, a response already streaming is cut instead of answered twice,
 * a client that went away is neither answered with a 500 nor reported, and
 * a reporter that throws or hangs changes nothing.
 */
import { expect } from 'vitest';
import { ClientClosedError, type Context, HttpError, type Middleware } from '@ward/core';
import { abortAfter, keepAliveAgent } from '@ward/core/testing';
import { type RecoveryOptions, type RecoveryReport, ThrownValueError, recovery } from '@ward/recovery';
import { Registry } from 'prom-client';
import { checkResponse, INTERNAL_ERROR_PROBLEM, type Scenario } from '../harness.js';
import { JSON_BODY, type Probe, STREAM_CHUNKS } from '../probe.js';
import { readUntilCut } from './shared.js';

const REQUEST_ID = 'req-7f3a';
/** What a handler may have said about the body it was producing when it failed. */
const FAILED_BODY_HEADERS = {
  'content-encoding': 'gzip',
  'content-language': 'de',
  'content-range': 'bytes 0-9/100',
  'content-disposition': 'attachment; filename="report.csv"',
  etag: '"v1"',
  'last-modified': 'Tue, 01 Dec 2026 10:00:00 GMT',
  location: '/elsewhere',
} as const;
const PROBLEM_500 = { type: 'urn:ward:problem:internal-error', title: 'Internal Server Error', status: 500, code: 'INTERNAL_ERROR' } as const;
const PROBLEM_500_WITH_ID = { ...PROBLEM_500, request_id: REQUEST_ID };
const BYTES_500_WITH_ID = JSON.stringify(PROBLEM_500_WITH_ID);

/** recovery() reporting into the probe, with its own registry. */
function recover(probe: Probe, options: RecoveryOptions = {}): Middleware {
  const registry = new Registry();
  const reports: RecoveryReport[] = [];
  probe.seen.registry = registry;
  probe.seen.reports = reports;
  return recovery({
    registry,
    onError: (report) => {
      reports.push(report);
      probe.event('recovery reported').resolve(undefined);
    },
    ...options,
  });
}

function reportsOf(probe: Probe): RecoveryReport[] {
  return probe.seen.reports as RecoveryReport[];
}

/** `ward_recovery_errors_total` by kind, non-zero only; and the reporter failure count. */
async function countsOf(probe: Probe): Promise<{ kinds: Record<string, number>; reporterFailures: number }> {
  const registry = probe.seen.registry as Registry;
  const errors = await registry.getSingleMetric('ward_recovery_errors_total')!.get();
  const failures = await registry.getSingleMetric('ward_recovery_reporter_failures_total')!.get();
  const kinds: Record<string, number> = {};
  for (const { labels, value } of errors.values) if (value > 0) kinds[String(labels.kind)] = value;
  return { kinds, reporterFailures: failures.values[0]?.value ?? 0 };
}

/** What a request-id middleware does: the id every problem body and report carries. */
const withRequestId: Middleware = function withRequestId(ctx, next) {
  ctx.state.requestId = REQUEST_ID;
  ctx.state.traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  return next();
};

/** Rejects when `ctx.signal` aborts, with its reason. */
function aborted(ctx: Context): Promise<never> {
  return new Promise<never>((_, reject) => {
    const signal = ctx.signal;
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Values a middleware throws in the hostile-values scenario, by `?v=` name. */
const HOSTILE: Record<string, { value: () => unknown; message: string }> = {
  string: { value: () => 'boom', message: 'Non-error value thrown: "boom"' },
  null: { value: () => null, message: 'Non-error value thrown: null' },
  undefined: { value: () => undefined, message: 'Non-error value thrown: undefined' },
  number: { value: () => 42, message: 'Non-error value thrown: 42' },
  bigint: { value: () => 10n, message: 'Non-error value thrown: 10n' },
  symbol: { value: () => Symbol('sym'), message: 'Non-error value thrown: Symbol(sym)' },
  function: { value: () => function secretFn() {}, message: 'Non-error value thrown: [function secretFn]' },
  frozen: { value: () => Object.freeze({ message: 'frozen' }), message: 'Non-error value thrown: [object Object] with message "frozen"' },
  nullProto: { value: () => Object.create(null) as object, message: 'Non-error value thrown: [object null-prototype]' },
  getters: {
    value: () => ({
      get message(): string {
        throw new Error('message getter');
      },
      get code(): string {
        throw new Error('code getter');
      },
      get cause(): unknown {
        throw new Error('cause getter');
      },
      toString(): string {
        throw new Error('toString');
      },
    }),
    message: 'Non-error value thrown: [object Object]',
  },
  proxy: {
    value: () =>
      new Proxy(
        {},
        {
          get() {
            throw new Error('get trap');
          },
          getPrototypeOf() {
            throw new Error('getPrototypeOf trap');
          },
          getOwnPropertyDescriptor() {
            throw new Error('getOwnPropertyDescriptor trap');
          },
          has() {
            throw new Error('has trap');
          },
          ownKeys() {
            throw new Error('ownKeys trap');
          },
        },
      ),
    message: 'Non-error value thrown: [object Object]',
  },
  forgedHttpError: {
    value: () => ({ [Symbol.for('ward.http-error')]: true, status: 'teapot', code: 7, headers: { 'x-forged': 'yes' } }),
    message: 'Non-error value thrown: [object Object]',
  },
};

/** Throws the hostile value named by `?v=`; `?v=rejectEmpty` returns `Promise.reject()` with no value. */
const throwHostile: Middleware = function throwHostile(ctx) {
  const name = ctx.req.query.get('v') ?? '';
  if (name === 'rejectEmpty') return Promise.reject();
  throw HOSTILE[name]!.value();
};

export const RECOVERY: readonly Scenario[] = [
  {
    name: "recovery: a handler's sync throw becomes 500 INTERNAL_ERROR with the request id, reported once with the error and request facts",
    chain: (probe) => [withRequestId, recover(probe)],
    exchanges: [{ path: '/throw?page=2', expect: { status: 500, text: BYTES_500_WITH_ID, problem: PROBLEM_500_WITH_ID } }],
    counts: { throwSync: 1 },
    async verify({ probe }) {
      const reports = reportsOf(probe);
      expect(reports).toHaveLength(1);
      const report = reports[0]!;
      expect(report.error).toBe(probe.thrown[0]);
      expect(report.stack?.split('\n')[0]).toBe('Error: handler exploded');
      expect({ ...report, error: undefined, stack: undefined, route: undefined, headers: undefined, time: undefined }).toEqual({
        source: 'request',
        kind: 'error',
        error: undefined,
        name: 'Error',
        message: 'handler exploded',
        stack: undefined,
        status: 500,
        code: 'INTERNAL_ERROR',
        requestId: REQUEST_ID,
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        method: 'GET',
        route: undefined,
        path: '/throw',
        userId: undefined,
        headers: undefined,
        committed: false,
        time: undefined,
      });
      expect(report.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(await countsOf(probe)).toEqual({ kinds: { error: 1 }, reporterFailures: 0 });
      // Handled: the adapter's own error path never saw it.
      expect(probe.unhandled).toEqual([]);
    },
  },
  {
    name: "recovery: a handler's async rejection becomes 500 INTERNAL_ERROR, reported once; the connection stays usable",
    chain: (probe) => [withRequestId, recover(probe)],
    async run({ send, target, probe }) {
      const agent = keepAliveAgent();
      try {
        checkResponse(await send('/reject', { agent }), { status: 500, text: BYTES_500_WITH_ID, problem: PROBLEM_500_WITH_ID }, target, 'the 500');
        const next = await send('/json', { agent });
        checkResponse(next, { status: 200, json: JSON_BODY }, target, 'the next request');
        expect(next.reusedSocket).toBe(true);
      } finally {
        agent.destroy();
      }
      expect(reportsOf(probe).map((r) => [r.kind, r.error, r.status, r.committed])).toEqual([['error', probe.thrown[0], 500, false]]);
    },
    counts: { rejectAsync: 1, json: 1 },
  },
  {
    name: 'recovery: an HttpError keeps its status, code and headers; a 4xx is not reported, a 5xx is',
    chain: (probe) => [
      recover(probe),
      function fail(ctx) {
        if (ctx.req.path === '/json') throw new HttpError(404, { code: 'USER_NOT_FOUND', detail: 'No user 42' });
        throw new HttpError(503, { code: 'DEPENDENCY_DOWN', detail: 'db is down', headers: { 'retry-after': '7' } });
      },
    ],
    exchanges: [
      {
        path: '/json',
        expect: {
          status: 404,
          problem: { type: 'urn:ward:problem:user-not-found', title: 'Not Found', status: 404, code: 'USER_NOT_FOUND', detail: 'No user 42' },
        },
      },
      {
        path: '/text',
        expect: {
          status: 503,
          headers: { 'retry-after': '7' },
          problem: { type: 'urn:ward:problem:dependency-down', title: 'Service Unavailable', status: 503, code: 'DEPENDENCY_DOWN' },
        },
      },
    ],
    counts: {},
    async verify({ probe }) {
      expect(reportsOf(probe).map((r) => [r.kind, r.status, r.code, r.message])).toEqual([['http_error', 503, 'DEPENDENCY_DOWN', 'db is down']]);
      expect(await countsOf(probe)).toEqual({ kinds: { http_error: 2 }, reporterFailures: 0 });
    },
  },
  {
    name: 'recovery: an Error with an http-errors status keeps its headers (Allow, Retry-After), never ones that frame the answer or node refuses',
    chain: (probe) => [
      recover(probe),
      function fail() {
        throw Object.assign(new Error('slow down'), {
          status: 429,
          headers: { 'Retry-After': '7', Allow: ['GET', 'HEAD'], 'Content-Length': '999', 'Content-Type': 'text/html', 'Transfer-Encoding': 'chunked', 'X-Split': 'a\r\nSet-Cookie: evil=1', 'Bad Name': 'x', 'X-Object': { no: 1 } },
        });
      },
    ],
    exchanges: [
      {
        path: '/json',
        expect: {
          status: 429,
          headers: { 'retry-after': '7', allow: 'GET, HEAD', 'content-type': 'application/problem+json', 'transfer-encoding': null, 'x-split': null, 'set-cookie': null, 'x-object': null },
          problem: { type: 'urn:ward:problem:too-many-requests', title: 'Too Many Requests', status: 429, code: 'TOO_MANY_REQUESTS' },
        },
      },
    ],
    counts: {},
  },
  {
    name: 'recovery: an Error whose status is no error status (302) but whose statusCode is (404) is a 404, as finalhandler answers it; not reported',
    chain: (probe) => [
      recover(probe),
      function fail() {
        throw Object.assign(new Error('gone'), { status: 302, statusCode: 404 });
      },
    ],
    exchanges: [{ path: '/json', expect: { status: 404, problem: expect.objectContaining({ status: 404 }) } }],
    counts: {},
    verify({ probe }) {
      expect(reportsOf(probe)).toEqual([]);
    },
  },
  {
    name: 'recovery: the 500 drops the headers that described the failed body (Content-Encoding, Content-Range, ETag…); other middleware’s stay',
    chain: (probe) => [
      recover(probe),
      function describeThenFail(ctx) {
        ctx.res.setHeader('x-from-middleware', 'kept');
        for (const [name, value] of Object.entries(FAILED_BODY_HEADERS)) ctx.res.setHeader(name, value);
        throw new Error('compression failed');
      },
    ],
    exchanges: [
      {
        path: '/json',
        expect: {
          status: 500,
          headers: { 'x-from-middleware': 'kept', ...Object.fromEntries(Object.keys(FAILED_BODY_HEADERS).map((name) => [name, null])) },
          problem: PROBLEM_500,
        },
      },
    ],
    counts: {},
  },
  {
    name: 'recovery: a Transfer-Encoding a middleware set never goes out beside a Content-Length (RFC 9112 §6.1), on the problem after a failure or on a handler’s whole answer',
    chain: (probe) => [
      recover(probe),
      function chunkedThenNext(ctx, next) {
        ctx.res.setHeader('transfer-encoding', 'chunked');
        return next();
      },
    ],
    exchanges: [
      { path: '/throw', expect: { status: 500, headers: { 'transfer-encoding': null }, problem: PROBLEM_500 } },
      { path: '/json', expect: { status: 200, headers: { 'transfer-encoding': null }, json: JSON_BODY } },
    ],
    counts: { throwSync: 1, json: 1 },
  },
  {
    name: 'recovery: its answer passes back through the outer middleware, which see the 500 and ctx.state.recoveredError; later middleware never run',
    chain: (probe) => [
      async function outer(ctx, next) {
        probe.log.push('outer before');
        await next();
        probe.log.push(`outer after ${ctx.res.status}`);
        probe.seen.recovered = ctx.state.recoveredError;
        ctx.res.setHeader('x-outer', 'saw-it');
      },
      recover(probe),
      function explode() {
        probe.log.push('explode');
        const error = new RangeError('middleware exploded');
        probe.seen.thrown = error;
        throw error;
      },
      function never(_ctx, next) {
        probe.log.push('never');
        return next();
      },
    ],
    exchanges: [{ path: '/json', expect: { status: 500, headers: { 'x-outer': 'saw-it' }, text: INTERNAL_ERROR_PROBLEM, problem: PROBLEM_500 } }],
    counts: {},
    log: ['outer before', 'explode', 'outer after 500'],
    verify({ probe }) {
      expect(probe.seen.recovered).toBe(probe.seen.thrown);
      expect(reportsOf(probe).map((r) => [r.name, r.message])).toEqual([['RangeError', 'middleware exploded']]);
    },
  },
  {
    name: 'recovery: in development mode the 500 carries the message and stack; never otherwise',
    options: { development: true },
    chain: (probe) => [recover(probe)],
    exchanges: [
      {
        path: '/throw',
        expect: { status: 500, problem: { ...PROBLEM_500, detail: 'handler exploded', stack: expect.any(Array) } },
      },
    ],
    counts: { throwSync: 1 },
    verify(_run, [res]) {
      expect(res!.json<{ stack: string[] }>().stack[0]).toBe('Error: handler exploded');
    },
  },
  {
    name: 'recovery: a HEAD request that fails gets the 500 status line and no body',
    chain: (probe) => [recover(probe)],
    exchanges: [
      {
        path: '/throw',
        request: { method: 'HEAD' },
        expect: { status: 500, headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' }, text: '' },
      },
    ],
    counts: { throwSync: 1 },
  },
  {
    name: 'recovery: a failure after the response head went out cuts the connection (no second status line); the report says committed',
    chain: (probe) => [
      recover(probe),
      async function headThenFail(ctx, next) {
        if (ctx.req.path !== '/hang') return next();
        // The handler never answers; this middleware starts the response itself, then fails.
        next().catch(() => {});
        await probe.hang.started.promise;
        ctx.raw.res.flushHeaders();
        throw new Error('failed after the head');
      },
    ],
    async run({ url, probe }) {
      expect(await readUntilCut(`${url}/hang`, probe)).toEqual({ status: 200, received: '', cut: true });
      await probe.hang.closed.promise;
      expect(reportsOf(probe).map((r) => [r.kind, r.message, r.status, r.committed])).toEqual([['error', 'failed after the head', 200, true]]);
      expect(await countsOf(probe)).toEqual({ kinds: { error: 1 }, reporterFailures: 0 });
    },
    counts: { hang: 1 },
  },
  {
    name: 'recovery: a handler that fails mid-stream: the client keeps the first chunk and sees the cut, never a 500; the one report says committed',
    chain: (probe) => [recover(probe)],
    async run({ url, probe }) {
      expect(await readUntilCut(`${url}/stream-fail`, probe)).toEqual({ status: 200, received: STREAM_CHUNKS[0], cut: true });
      // The stream's error reaches next() on every adapter (rule 5): recovery reports it once, as committed.
      await probe.event('recovery reported').promise;
      expect(reportsOf(probe).map((r) => [r.message, r.status, r.committed])).toEqual([['stream broke', 200, true]]);
    },
    counts: { streamThenThrow: 1 },
  },
  {
    name: 'recovery: a client that went away (CLIENT_CLOSED) is answered 499 to nobody, counted, and not reported as a crash',
    chain: (probe) => [
      async function outer(ctx, next) {
        await next();
        if (ctx.req.path === '/hang') probe.event('status').resolve(ctx.res.status);
      },
      recover(probe),
      function raceClient(ctx, next) {
        if (ctx.req.path !== '/hang') return next();
        next().catch(() => {});
        return aborted(ctx);
      },
    ],
    async run({ url, probe }) {
      await abortAfter(`${url}/hang`, { after: probe.hang.started.promise });
      expect(await probe.event('status').promise).toBe(499);
      await probe.hang.closed.promise;
      expect(reportsOf(probe)).toEqual([]);
      expect(await countsOf(probe)).toEqual({ kinds: { client_closed: 1 }, reporterFailures: 0 });
      expect(probe.unhandled).toEqual([]);
    },
    counts: { hang: 1 },
  },
  {
    name: "recovery: another request's CLIENT_CLOSED (a shared upstream call tied to its signal) reaching a client still connected is a reported 500, never a 499",
    chain: (probe) => [
      recover(probe),
      function sharedCall(ctx) {
        const gone = new ClientClosedError();
        if (ctx.req.path === '/text') throw Object.assign(new Error('This operation was aborted'), { name: 'AbortError', cause: gone });
        throw gone;
      },
    ],
    exchanges: [
      { path: '/json', expect: { status: 500, text: INTERNAL_ERROR_PROBLEM } },
      { path: '/text', expect: { status: 500, text: INTERNAL_ERROR_PROBLEM } },
    ],
    counts: {},
    async verify({ probe }) {
      expect(reportsOf(probe).map((r) => r.status)).toEqual([500, 500]);
      expect(await countsOf(probe)).toEqual({ kinds: { error: 2 }, reporterFailures: 0 });
    },
  },
  {
    name: 'recovery: ECONNRESET after the client left is a client_closed; the same ECONNRESET from an outbound call is a reported 500',
    chain: (probe) => [
      async function outer(ctx, next) {
        await next();
        if (ctx.req.path === '/hang') probe.event('status').resolve(ctx.res.status);
      },
      recover(probe),
      async function reset(ctx, next) {
        const econnreset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        if (ctx.req.path !== '/hang') throw econnreset;
        next().catch(() => {});
        await aborted(ctx).catch(() => {});
        throw econnreset;
      },
    ],
    exchanges: [{ path: '/json', expect: { status: 500, text: INTERNAL_ERROR_PROBLEM } }],
    async run({ url, probe }) {
      await abortAfter(`${url}/hang`, { after: probe.hang.started.promise });
      expect(await probe.event('status').promise).toBe(499);
      expect(reportsOf(probe).map((r) => [r.path, r.message, r.status])).toEqual([['/json', 'read ECONNRESET', 500]]);
      expect(await countsOf(probe)).toEqual({ kinds: { error: 1, client_closed: 1 }, reporterFailures: 0 });
    },
    counts: { hang: 1 },
  },
  {
    name: 'recovery: throws of strings, null, undefined, numbers, Symbols, frozen and hostile objects, Proxies, forged HttpErrors and empty rejections all become 500 INTERNAL_ERROR',
    group: 'security',
    chain: (probe) => [recover(probe), throwHostile],
    exchanges: [...Object.keys(HOSTILE), 'rejectEmpty'].map((name) => ({
      path: `/json?v=${name}`,
      expect: { status: 500, headers: { 'x-forged': null }, text: INTERNAL_ERROR_PROBLEM, problem: PROBLEM_500 },
    })),
    counts: {},
    async verify({ probe }) {
      const reports = reportsOf(probe);
      const expected = [...Object.values(HOSTILE).map((h) => h.message), 'Non-error value thrown: undefined'];
      expect(reports.map((r) => r.message)).toEqual(expected);
      for (const report of reports) {
        expect(report.kind).toBe('non_error');
        expect(report.error).toBeInstanceOf(ThrownValueError);
        expect(report.name).toBe('ThrownValueError');
        expect(report.stack).toBeUndefined();
        expect([report.status, report.code, report.committed]).toEqual([500, 'INTERNAL_ERROR', false]);
      }
      expect(reports[0]!.error.cause).toBe('boom');
      expect(await countsOf(probe)).toEqual({ kinds: { non_error: expected.length }, reporterFailures: 0 });
    },
  },
  {
    name: 'recovery: an Error whose message and stack getters throw is still a 500 and a report',
    group: 'security',
    chain: (probe) => [
      recover(probe),
      function hostileError() {
        const error = new Error('hidden');
        // The stack first: redefining it after `message` would format the stack, calling the throwing getter here.
        Object.defineProperty(error, 'stack', {
          get() {
            throw new Error('stack getter');
          },
        });
        Object.defineProperty(error, 'message', {
          get() {
            throw new Error('message getter');
          },
        });
        throw error;
      },
    ],
    exchanges: [{ path: '/json', expect: { status: 500, text: INTERNAL_ERROR_PROBLEM } }],
    counts: {},
    verify({ probe }) {
      expect(reportsOf(probe).map((r) => [r.kind, r.name, r.message, r.stack])).toEqual([['error', 'Error', '', undefined]]);
    },
  },
  {
    name: 'recovery: Authorization, Cookie, Proxy-Authorization, X-Api-Key and configured headers are redacted in reports; the query string never appears',
    group: 'security',
    chain: (probe) => [withRequestId, recover(probe, { redactHeaders: ['X-Session-Token'] })],
    exchanges: [
      {
        path: '/throw?access_token=SECRET-QUERY&page=1',
        request: {
          headers: {
            authorization: 'Bearer SECRET-BEARER',
            cookie: 'sid=SECRET-COOKIE',
            'proxy-authorization': 'Basic SECRET-PROXY',
            'x-api-key': 'SECRET-API-KEY',
            'x-session-token': 'SECRET-SESSION',
            'x-visible': 'shown',
          },
        },
        expect: { status: 500, text: BYTES_500_WITH_ID },
      },
    ],
    counts: { throwSync: 1 },
    verify({ probe }) {
      const [report] = reportsOf(probe);
      expect(report!.path).toBe('/throw');
      const { host, connection, ...headers } = report!.headers;
      expect([typeof host, typeof connection]).toEqual(['string', 'string']);
      expect(headers).toEqual({
        authorization: '[redacted]',
        cookie: '[redacted]',
        'proxy-authorization': '[redacted]',
        'x-api-key': '[redacted]',
        'x-session-token': '[redacted]',
        'x-visible': 'shown',
      });
      expect(JSON.stringify({ ...report, error: undefined })).not.toMatch(/SECRET/);
    },
  },
  {
    name: 'recovery: reporters that throw, reject, hang or return a hostile thenable change nothing: the 500 goes out, the others still run, failures are counted',
    group: 'security',
    chain: (probe) => [
      withRequestId,
      recover(probe, {
        onError: [
          () => {
            throw new Error('reporter threw');
          },
          () => Promise.reject(new Error('reporter rejected')),
          () => new Promise<void>(() => {}),
          () => ({
            get then(): never {
              throw new Error('then getter');
            },
          }),
          (report) => void (probe.seen.reports as RecoveryReport[]).push(report),
        ],
      }),
    ],
    exchanges: [
      { path: '/throw', expect: { status: 500, text: BYTES_500_WITH_ID } },
      { path: '/reject', expect: { status: 500, text: BYTES_500_WITH_ID } },
    ],
    counts: { throwSync: 1, rejectAsync: 1 },
    async verify({ probe }) {
      expect(reportsOf(probe).map((r) => r.error)).toEqual(probe.thrown);
      // Per failure: one throw, one rejection, one hostile thenable; the hanging one is simply never awaited.
      expect(await countsOf(probe)).toEqual({ kinds: { error: 2 }, reporterFailures: 6 });
    },
  },
  {
    name: 'recovery: a problem formatter that throws, or an HttpError whose headers cannot be sent, still gets a 500',
    group: 'security',
    options: {
      problemFormatter: (error, ctx) => {
        if (ctx.req.path === '/text') throw new Error('formatter exploded');
        return { type: 'urn:test', title: error.title, status: error.status, code: error.code };
      },
    },
    chain: (probe) => [
      withRequestId,
      recover(probe),
      function fail(ctx) {
        if (ctx.req.path === '/text') throw new Error('handler failed');
        throw new HttpError(502, { code: 'BAD_GATEWAY', headers: { 'x-bad': 'a\r\nSet-Cookie: injected=1' } });
      },
    ],
    exchanges: [
      { path: '/text', expect: { status: 500, text: BYTES_500_WITH_ID, problem: PROBLEM_500_WITH_ID } },
      { path: '/json', expect: { status: 500, headers: { 'x-bad': null, 'set-cookie': null } } },
    ],
    counts: {},
    verify({ probe }) {
      expect(reportsOf(probe).map((r) => [r.kind, r.message])).toEqual([
        ['error', 'handler failed'],
        ['http_error', 'Bad Gateway'],
      ]);
    },
  },
];
