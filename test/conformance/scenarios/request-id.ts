/**
 * Scenarios: @ward/request-id on every adapter — the id in state, in the
 * response header and in every problem+json body; W3C traceparent continued,
 * started and echoed; AsyncLocalStorage access inside the request; and the
 * hostile ids and traceparents of the issue, over real (and raw) sockets.
 */
import { setImmediate as tick } from 'node:timers/promises';
import { type Middleware, isWardError } from '@ward/core';
import { keepAliveAgent } from '@ward/core/testing';
import { getRequestContext, getRequestId, isInvalidGeneratedIdError, propagationHeaders, requestId } from '@ward/request-id';
import { Registry } from 'prom-client';
import { expect } from 'vitest';
import { INTERNAL_ERROR_PROBLEM, type Scenario } from '../harness.js';
import { JSON_BODY, type Probe, STREAM_CHUNKS } from '../probe.js';
import { catchToProblem, deny, rawGet } from './shared.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

/** Deterministic "randomness": every refill writes bytes 0, 1, 2, … so ids are predictable. */
function countingFill(target: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i] = i & 0xff;
}

/** The hex of bytes `start … start + count - 1` as {@link countingFill} writes them. */
function counted(start: number, count: number): string {
  let hex = '';
  for (let i = start; i < start + count; i++) hex += (i & 0xff).toString(16).padStart(2, '0');
  return hex;
}

/** requestId() with ids `rid-1`, `rid-2`, … and its own registry, both kept in the probe. */
function ids(probe: Probe, options: Parameters<typeof requestId>[0] = {}): Middleware {
  let n = 0;
  const registry = new Registry();
  probe.seen.registry = registry;
  return requestId({ generator: () => `rid-${++n}`, randomFill: countingFill, registry, ...options });
}

/** Records what the request's state says, after the response came back down. */
function recordState(probe: Probe): Middleware {
  return async function recordState(ctx, next) {
    probe.seen.requestId = ctx.state.requestId;
    probe.seen.traceId = ctx.state.traceId;
    probe.seen.trace = ctx.state.trace === undefined ? undefined : { ...ctx.state.trace, spanId: ctx.state.trace.spanId, sampled: ctx.state.trace.sampled, traceparent: ctx.state.trace.traceparent };
    await next();
  };
}

async function replaced(probe: Probe): Promise<Record<string, number>> {
  const registry = probe.seen.registry as Registry;
  const metric = await registry.getSingleMetric('ward_request_id_replaced_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.reason), v.value]));
}

export const REQUEST_ID: readonly Scenario[] = [
  {
    name: 'request-id: a fresh id is in ctx.state and in X-Request-ID; the answer is otherwise untouched',
    chain: (probe) => [ids(probe), recordState(probe)],
    exchanges: [
      { path: '/json', expect: { status: 200, headers: { 'x-request-id': 'rid-1', traceparent: null }, json: JSON_BODY } },
      { path: '/json', expect: { status: 200, headers: { 'x-request-id': 'rid-2' }, json: JSON_BODY } },
    ],
    counts: { json: 2 },
    async verify({ probe }) {
      expect(probe.seen.requestId).toBe('rid-2');
      // No traceparent came in: a new trace, its id from the (counting) random bytes after the first request's 24.
      expect(probe.seen.traceId).toBe(counted(24, 16));
      expect(await replaced(probe)).toEqual({ invalid_id: 0, invalid_traceparent: 0 });
    },
  },
  {
    name: 'request-id: a safe incoming X-Request-ID is reused and answered as sent',
    chain: (probe) => [ids(probe), recordState(probe)],
    exchanges: [
      {
        path: '/json',
        request: { headers: { 'x-request-id': 'Client-42_a.b:c' } },
        expect: { status: 200, headers: { 'x-request-id': 'Client-42_a.b:c' }, json: JSON_BODY },
      },
      {
        path: '/json',
        request: { headers: { 'X-REQUEST-ID': 'a'.repeat(128) } },
        expect: { status: 200, headers: { 'x-request-id': 'a'.repeat(128) }, json: JSON_BODY },
      },
    ],
    counts: { json: 2 },
    async verify({ probe }) {
      expect(probe.seen.requestId).toBe('a'.repeat(128));
      expect(await replaced(probe)).toEqual({ invalid_id: 0, invalid_traceparent: 0 });
    },
  },
  {
    name: 'request-id: trustIncoming false answers a fresh id even for a safe incoming one',
    chain: (probe) => [ids(probe, { trustIncoming: false })],
    exchanges: [
      { path: '/json', request: { headers: { 'x-request-id': 'client-chosen' } }, expect: { status: 200, headers: { 'x-request-id': 'rid-1' }, json: JSON_BODY } },
    ],
    counts: { json: 1 },
  },
  {
    name: 'request-id: a custom header is read and answered; X-Request-ID is then neither read nor set',
    chain: (probe) => [ids(probe, { header: 'X-Correlation-ID' })],
    exchanges: [
      {
        path: '/json',
        request: { headers: { 'x-correlation-id': 'corr-7', 'x-request-id': 'other' } },
        expect: { status: 200, headers: { 'x-correlation-id': 'corr-7', 'x-request-id': null }, json: JSON_BODY },
      },
      { path: '/json', request: { headers: { 'x-request-id': 'other' } }, expect: { status: 200, headers: { 'x-correlation-id': 'rid-1', 'x-request-id': null } } },
    ],
    counts: { json: 2 },
  },
  {
    name: 'request-id: setResponseHeader false keeps the id in state and problem bodies but off the headers',
    chain: (probe) => [ids(probe, { setResponseHeader: false }), deny(403)],
    exchanges: [
      {
        path: '/json',
        expect: {
          status: 403,
          headers: { 'x-request-id': null },
          problem: { type: 'urn:ward:problem:forbidden', title: 'Forbidden', status: 403, code: 'FORBIDDEN', request_id: 'rid-1' },
        },
      },
    ],
    counts: {},
  },
  {
    name: "request-id: every ward problem+json carries request_id: a middleware's 403, an unanswered chain's 404, a handler error's 500",
    chain: (probe) => [
      ids(probe),
      catchToProblem(probe),
      async function gate(ctx, next) {
        if (ctx.req.path === '/json') return deny(403, { code: 'NOT_YOURS', detail: 'Not yours' })(ctx, next);
        if (ctx.req.path === '/text') return; // answers nothing: the adapter's 404
        await next();
      },
    ],
    exchanges: [
      {
        path: '/json',
        request: { headers: { 'x-request-id': 'from-client' } },
        expect: {
          status: 403,
          headers: { 'x-request-id': 'from-client' },
          problem: { type: 'urn:ward:problem:not-yours', title: 'Forbidden', status: 403, code: 'NOT_YOURS', detail: 'Not yours', request_id: 'from-client' },
        },
      },
      {
        path: '/text',
        expect: {
          status: 404,
          headers: { 'x-request-id': 'rid-1' },
          problem: { type: 'urn:ward:problem:not-found', title: 'Not Found', status: 404, code: 'NOT_FOUND', detail: 'No route for GET /text', request_id: 'rid-1' },
        },
      },
      {
        path: '/throw',
        expect: {
          status: 500,
          headers: { 'x-request-id': 'rid-2' },
          problem: { type: 'urn:ward:problem:internal-error', title: 'Internal Server Error', status: 500, code: 'INTERNAL_ERROR', request_id: 'rid-2' },
        },
      },
    ],
    counts: { throwSync: 1 },
  },
  {
    name: "request-id: the stack's own 404 and unhandled 500 keep X-Request-ID, and carry request_id where ward answers them",
    chain: (probe) => [ids(probe)],
    exchanges: [
      { path: '/nope', expect: { status: 404, headers: { 'x-request-id': 'rid-1' } } },
      { path: '/throw', expect: { status: 500, headers: { 'x-request-id': 'rid-2' } } },
    ],
    counts: { throwSync: 1 },
    verify({ target }, [notFound, failed]) {
      if (!target.ownsFallbacks) return;
      expect(notFound!.json()).toEqual({
        type: 'urn:ward:problem:not-found',
        title: 'Not Found',
        status: 404,
        code: 'NOT_FOUND',
        detail: 'No route for GET /nope',
        request_id: 'rid-1',
      });
      expect(failed!.json()).toEqual({ ...(JSON.parse(INTERNAL_ERROR_PROBLEM) as object), request_id: 'rid-2' });
    },
  },
  {
    name: 'request-id: a streamed answer carries X-Request-ID too',
    chain: (probe) => [ids(probe)],
    exchanges: [{ path: '/stream', expect: { status: 200, headers: { 'x-request-id': 'rid-1' }, text: STREAM_CHUNKS.join('') } }],
    counts: { stream: 1 },
  },
  {
    name: "request-id: a valid traceparent is continued (trace id, caller's span, flags) and echoed with this hop's span",
    chain: (probe) => [ids(probe, { echoTraceparent: true }), recordState(probe)],
    exchanges: [
      {
        path: '/json',
        request: { headers: { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' } },
        expect: { status: 200, headers: { 'x-request-id': 'rid-1', traceparent: `00-${TRACE_ID}-${counted(0, 8)}-01` }, json: JSON_BODY },
      },
    ],
    counts: { json: 1 },
    verify({ probe }) {
      expect(probe.seen.traceId).toBe(TRACE_ID);
      expect(probe.seen.trace).toEqual({
        traceId: TRACE_ID,
        parentId: PARENT_ID,
        spanId: counted(0, 8),
        flags: 1,
        sampled: true,
        tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
        traceparent: `00-${TRACE_ID}-${counted(0, 8)}-01`,
      });
    },
  },
  {
    name: 'request-id: a tracestate of 40 members goes on with its first 32, each whole',
    chain: (probe) => [ids(probe), recordState(probe)],
    exchanges: [
      { path: '/json', request: { headers: { traceparent: TRACEPARENT, tracestate: Array.from({ length: 40 }, (_, i) => `k${i}=v${i}`).join(', ') } }, expect: { status: 200, json: JSON_BODY } },
    ],
    counts: { json: 1 },
    verify({ probe }) {
      expect((probe.seen.trace as { tracestate: string }).tracestate).toBe(Array.from({ length: 32 }, (_, i) => `k${i}=v${i}`).join(','));
    },
  },
  {
    name: 'request-id: without traceparent a new trace starts (random ids, no parent, not sampled) and is echoed when asked',
    chain: (probe) => [ids(probe, { echoTraceparent: true }), recordState(probe)],
    exchanges: [
      { path: '/json', expect: { status: 200, headers: { traceparent: `00-${counted(0, 16)}-${counted(16, 8)}-00` }, json: JSON_BODY } },
      // A future version is read per version 00 (W3C §3.2.4) and answered as version 00, unknown flags cleared.
      {
        path: '/json',
        request: { headers: { traceparent: `cc-${TRACE_ID}-${PARENT_ID}-ff-what-comes-next` } },
        expect: { status: 200, headers: { traceparent: `00-${TRACE_ID}-${counted(24, 8)}-01` }, json: JSON_BODY },
      },
    ],
    counts: { json: 2 },
    async verify({ probe }) {
      expect(probe.seen.trace).toMatchObject({ traceId: TRACE_ID, parentId: PARENT_ID, flags: 0xff, sampled: true, tracestate: undefined });
      expect(await replaced(probe)).toEqual({ invalid_id: 0, invalid_traceparent: 0 });
    },
  },
  {
    name: 'request-id: getRequestId() and getRequestContext() work after awaits, in timers and after next(), and are undefined outside',
    chain: (probe) => [
      ids(probe),
      async function observe(ctx, next) {
        await tick();
        probe.seen.afterAwait = getRequestId();
        probe.seen.sameContext = getRequestContext()?.ctx === ctx;
        probe.seen.outgoing = propagationHeaders();
        setTimeout(() => {
          probe.seen.inTimer = getRequestId();
          probe.event('timer').resolve(undefined);
        }, 0);
        await next();
        await probe.event('timer').promise;
        probe.seen.afterNext = getRequestId();
      },
    ],
    exchanges: [{ path: '/json', request: { headers: { 'x-request-id': 'als-1', traceparent: TRACEPARENT } }, expect: { status: 200, json: JSON_BODY } }],
    counts: { json: 1 },
    verify({ probe }) {
      expect(probe.seen).toMatchObject({ afterAwait: 'als-1', sameContext: true, inTimer: 'als-1', afterNext: 'als-1' });
      expect(probe.seen.outgoing).toEqual({ 'x-request-id': 'als-1', traceparent: `00-${TRACE_ID}-${counted(0, 8)}-01` });
      expect(getRequestId()).toBeUndefined();
      expect(getRequestContext()).toBeUndefined();
    },
  },
  {
    name: 'request-id: requests on one keep-alive connection each get their own id',
    chain: (probe) => [ids(probe)],
    async run({ send }) {
      const agent = keepAliveAgent();
      try {
        const first = await send('/json', { agent, headers: { 'x-request-id': 'first' } });
        const second = await send('/json', { agent });
        const third = await send('/json', { agent, headers: { 'x-request-id': 'third' } });
        expect([first.headers['x-request-id'], second.headers['x-request-id'], third.headers['x-request-id']]).toEqual(['first', 'rid-1', 'third']);
        expect([second.reusedSocket, third.reusedSocket]).toEqual([true, true]);
      } finally {
        agent.destroy();
      }
    },
    counts: { json: 3 },
  },

  // ── security: hostile inputs ──────────────────────────────────────────────
  {
    name: 'request-id: hostile X-Request-ID values (spaces, 129 chars, 10 KB, empty, comma, repeated, Latin-1) are replaced, never echoed, counted',
    group: 'security',
    chain: (probe) => [ids(probe), recordState(probe)],
    exchanges: [
      { path: '/json', request: { headers: { 'x-request-id': 'a b' } }, expect: { status: 200, headers: { 'x-request-id': 'rid-1' }, json: JSON_BODY } },
      { path: '/json', request: { headers: { 'x-request-id': 'a'.repeat(129) } }, expect: { status: 200, headers: { 'x-request-id': 'rid-2' } } },
      { path: '/json', request: { headers: { 'x-request-id': 'x'.repeat(10 * 1024) } }, expect: { status: 200, headers: { 'x-request-id': 'rid-3' } } },
      { path: '/json', request: { headers: { 'x-request-id': '' } }, expect: { status: 200, headers: { 'x-request-id': 'rid-4' } } },
      { path: '/json', request: { headers: { 'x-request-id': 'a,b' } }, expect: { status: 200, headers: { 'x-request-id': 'rid-5' } } },
      { path: '/json', request: { headers: ['X-Request-ID', 'one', 'X-Request-ID', 'two'] }, expect: { status: 200, headers: { 'x-request-id': 'rid-6' } } },
      { path: '/json', request: { headers: { 'x-request-id': 'caf\u00e9' } }, expect: { status: 200, headers: { 'x-request-id': 'rid-7' } } },
      { path: '/json', request: { headers: { 'x-request-id': '<script>alert(1)</script>' } }, expect: { status: 200, headers: { 'x-request-id': 'rid-8' } } },
      { path: '/json', request: { headers: { 'x-request-id': '{"level":"error","msg":"forged"}' } }, expect: { status: 200, headers: { 'x-request-id': 'rid-9' } } },
    ],
    counts: { json: 9 },
    async verify({ probe }, responses) {
      expect(probe.seen.requestId).toBe('rid-9');
      for (const res of responses) expect(res.rawHeaders.filter((_, i) => i % 2 === 0 && res.rawHeaders[i]!.toLowerCase() === 'x-request-id')).toHaveLength(1);
      expect(await replaced(probe)).toEqual({ invalid_id: 9, invalid_traceparent: 0 });
    },
  },
  {
    name: 'request-id: raw-socket ids with UTF-8 bytes, tabs or an injected CRLF are never echoed and inject nothing',
    group: 'security',
    chain: (probe) => [ids(probe)],
    async run({ url, probe }) {
      const utf8 = await rawGet(url, '/json', [Buffer.from('X-Request-ID: \u00e9\u202e\u0000', 'utf8').toString('latin1')]);
      // NUL in a header value is refused by node's parser before any middleware: 400, and nothing echoed.
      expect(utf8.status).toBe(400);
      expect(utf8.headers['x-request-id']).toBeUndefined();

      const accents = await rawGet(url, '/json', [Buffer.from('X-Request-ID: r\u00e9sum\u00e9-\u202e', 'utf8').toString('latin1')]);
      expect(accents.status).toBe(200);
      expect(accents.headers['x-request-id']).toBe('rid-1');
      expect(accents.text).not.toContain('sum');

      const tab = await rawGet(url, '/json', ['X-Request-ID: a\tb']);
      expect(tab.status).toBe(200);
      expect(tab.headers['x-request-id']).toBe('rid-2');

      // CRLF ends the header line: the rest is a separate (request) header, never a response header.
      const split = await rawGet(url, '/json', ['X-Request-ID: fine-id', 'Set-Cookie: session=stolen', 'X-Injected: 1']);
      expect(split.status).toBe(200);
      expect(split.headers['x-request-id']).toBe('fine-id');
      expect(split.headers['set-cookie']).toBeUndefined();
      expect(split.headers['x-injected']).toBeUndefined();
      expect(await replaced(probe)).toEqual({ invalid_id: 2, invalid_traceparent: 0 });
    },
    counts: { json: 3 },
  },
  {
    name: 'request-id: malformed traceparent values start a new trace, are never echoed, and are counted',
    group: 'security',
    chain: (probe) => [ids(probe, { echoTraceparent: true })],
    async run({ send, probe }) {
      const bad = [
        `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`, // uppercase hex
        `00-${'0'.repeat(32)}-${PARENT_ID}-01`, // all-zero trace id
        `00-${TRACE_ID}-${'0'.repeat(16)}-01`, // all-zero parent id
        `ff-${TRACE_ID}-${PARENT_ID}-01`, // version ff
        `00-${TRACE_ID}-${PARENT_ID}-01-extra`, // version 00 is exactly 55 characters
        `01-${TRACE_ID}-${PARENT_ID}-01x`, // a future version's fields must end or be followed by '-'
        `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`, // short
        `00_${TRACE_ID}_${PARENT_ID}_01`, // wrong separators
        `00-${TRACE_ID}-${PARENT_ID}-0g`, // flags not hex
        `0-${TRACE_ID}-${PARENT_ID}-01`, // one-digit version
        `00-${TRACE_ID}-${PARENT_ID}-01`.padEnd(10 * 1024, ' x'), // 10 KB
        ` ${'\u00e9'.repeat(60)}`, // Latin-1
      ];
      for (const [i, traceparent] of bad.entries()) {
        const res = await send('/json', { headers: { traceparent, tracestate: 'vendor=kept-only-with-a-valid-parent' } });
        expect(res.status, traceparent).toBe(200);
        // A new trace: random trace id and span id (24 counted bytes per request), flags 00.
        expect(res.headers.traceparent, traceparent).toBe(`00-${counted(i * 24, 16)}-${counted(i * 24 + 16, 8)}-00`);
      }
      const repeated = await send('/json', { headers: ['traceparent', TRACEPARENT, 'traceparent', TRACEPARENT] });
      expect(repeated.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      expect(repeated.headers.traceparent).not.toContain(TRACE_ID);
      expect(await replaced(probe)).toEqual({ invalid_id: 0, invalid_traceparent: bad.length + 1 });
    },
    counts: { json: 13 },
  },
  {
    name: 'request-id: a generator returning an unsafe id fails the request with 500 and the value appears nowhere',
    group: 'security',
    chain: (probe) => [catchToProblem(probe), requestId({ generator: () => 'evil\r\nSet-Cookie: x=1', registry: new Registry() })],
    exchanges: [
      { path: '/json', expect: { status: 500, headers: { 'x-request-id': null, 'set-cookie': null }, text: INTERNAL_ERROR_PROBLEM } },
    ],
    counts: {},
    verify({ probe }) {
      expect(probe.caught).toHaveLength(1);
      const error = probe.caught[0];
      expect(isInvalidGeneratedIdError(error)).toBe(true);
      expect(isWardError(error) && error.code).toBe('REQUEST_ID_GENERATOR_INVALID');
      expect((error as Error).message).not.toContain('evil');
      expect((error as Error).message).toContain('U+000D at index 4');
    },
  },
];
