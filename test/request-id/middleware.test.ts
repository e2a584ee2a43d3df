/**
 * requestId() behaviour through real HTTP (the engine unless a test is about
 * another stack): generator input and errors, trace state, tracestate
 * rules, injected randomness, nested chains, switches, and the counter.
 */
import { type Context, HttpError } from '@ward/core';
import { keepAliveAgent, listen, request } from '@ward/core/testing';
import { Engine } from '@ward/engine';
import { ward as wardExpress } from '@ward/express';
import { ward as wardFastify } from '@ward/fastify';
import {
  InvalidGeneratedIdError,
  type RequestIdOptions,
  type TraceContext,
  getRequestContext,
  isInvalidGeneratedIdError,
  parseTraceparent,
  requestId,
} from '@ward/request-id';
import express from 'express';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

interface Recorded {
  requestId: string | undefined;
  traceId: string | undefined;
  trace: unknown;
}

/** An engine with `requestId(options)` and a route answering what the state holds (the trace as its JSON). */
async function engineWith(options: RequestIdOptions, onError: (error: unknown) => void = () => {}): Promise<string> {
  const engine = new Engine({ onError });
  engine.use(requestId(options));
  engine.get('/state', (ctx) => {
    const { requestId: id, traceId, trace } = ctx.state;
    ctx.json(200, { requestId: id, traceId, trace: trace === undefined ? null : JSON.parse(JSON.stringify(trace)) });
  });
  engine.get('/scope', (ctx) => ctx.text(200, JSON.stringify(getRequestContext())));
  const server = await listen(engine.handler);
  closers.push(server.close);
  return server.url;
}

describe('requestId() on a request', () => {
  it('calls the generator with the context, only when no safe id came in', async () => {
    const calls: string[] = [];
    const url = await engineWith({
      registry: new Registry(),
      generator(ctx: Context) {
        calls.push(ctx.req.path);
        return `gen:${calls.length}`;
      },
    });
    expect((await request(`${url}/state`)).headers['x-request-id']).toBe('gen:1');
    expect((await request(`${url}/state`, { headers: { 'x-request-id': 'mine' } })).headers['x-request-id']).toBe('mine');
    expect((await request(`${url}/state?x=1`, { headers: { 'x-request-id': 'not mine' } })).headers['x-request-id']).toBe('gen:2');
    expect(calls).toEqual(['/state', '/state']);
  });

  it('answers in the header as configured, with its case', async () => {
    const url = await engineWith({ registry: new Registry(), header: 'X-Correlation-ID', generator: () => 'c-1' });
    const res = await request(`${url}/state`);
    const index = res.rawHeaders.findIndex((name) => name.toLowerCase() === 'x-correlation-id');
    expect(res.rawHeaders.slice(index, index + 2)).toEqual(['X-Correlation-ID', 'c-1']);
  });

  it('the default generator makes RFC 9562 version-4 UUIDs, a new one per request', async () => {
    const url = await engineWith({ registry: new Registry() });
    const a = (await request(`${url}/state`)).headers['x-request-id'];
    const b = (await request(`${url}/state`)).headers['x-request-id'];
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });

  it('exposes the whole trace in ctx.state.trace, serialisable for loggers', async () => {
    const url = await engineWith({ registry: new Registry(), generator: () => 'r', randomFill: (b) => b.fill(0xab) });
    const res = await request(`${url}/state`, { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-03`, tracestate: 'rojo=00f067aa0ba902b7' } });
    expect(res.json<Recorded>()).toEqual({
      requestId: 'r',
      traceId: TRACE_ID,
      trace: {
        traceId: TRACE_ID,
        parentId: PARENT_ID,
        spanId: 'abababababababab',
        flags: 3,
        sampled: true,
        tracestate: 'rojo=00f067aa0ba902b7',
        // Level 1: only the sampled bit is propagated.
        traceparent: `00-${TRACE_ID}-abababababababab-01`,
      },
    });
  });

  it('getRequestContext() serialises to the ids and trace only (the cyclic ctx stays out of logs)', async () => {
    const url = await engineWith({ registry: new Registry(), generator: () => 'r', randomFill: (b) => b.fill(0xcd) });
    const res = await request(`${url}/scope`, { headers: { traceparent: TRACEPARENT } });
    expect(JSON.parse(res.text)).toEqual({
      requestId: 'r',
      traceId: TRACE_ID,
      trace: {
        traceId: TRACE_ID,
        parentId: PARENT_ID,
        spanId: 'cdcdcdcdcdcdcdcd',
        flags: 1,
        sampled: true,
        traceparent: `00-${TRACE_ID}-cdcdcdcdcdcdcdcd-01`,
      },
    });
  });

  it('keeps tracestate only beside a valid traceparent, only when every member is valid, and within 32 members and 512 characters by whole members', async () => {
    const url = await engineWith({ registry: new Registry(), generator: () => 'r' });
    const stateOf = async (headers: Record<string, string>): Promise<unknown> => (await request(`${url}/state`, { headers })).json<{ trace: TraceContext }>().trace.tracestate;
    const forty = Array.from({ length: 40 }, (_, i) => `k${i}=v${i}`);
    expect(await stateOf({ traceparent: TRACEPARENT, tracestate: forty.join(',') })).toBe(forty.slice(0, 32).join(','));
    // Over 512 characters: the 200-character member goes first, then members from the end; none is cut.
    const long = `big=${'x'.repeat(196)}`;
    const fill = Array.from({ length: 10 }, (_, i) => `m${i}=${'y'.repeat(40)}`);
    const cut = (await stateOf({ traceparent: TRACEPARENT, tracestate: [fill[0], long, ...fill.slice(1)].join(' , ') })) as string;
    expect(cut).toBe(fill.join(','));
    const more = Array.from({ length: 14 }, (_, i) => `n${i}=${'z'.repeat(40)}`);
    const kept = (await stateOf({ traceparent: TRACEPARENT, tracestate: more.join(',') })) as string;
    expect(kept.length).toBeLessThanOrEqual(512);
    expect(kept).toBe(more.slice(0, kept.split(',').length).join(','));
    expect(kept.split(',')).toHaveLength(11);
    // Not a list we can parse: dropped whole, never forwarded.
    expect(await stateOf({ traceparent: TRACEPARENT, tracestate: 'a=1,a=2' })).toBeUndefined();
    expect(await stateOf({ traceparent: TRACEPARENT, tracestate: 'Upper=1' })).toBeUndefined();
    expect(await stateOf({ traceparent: TRACEPARENT, tracestate: 'a=1,b' })).toBeUndefined();
    expect(await stateOf({ traceparent: TRACEPARENT, tracestate: 'a=b=c' })).toBeUndefined();
    expect(await stateOf({ traceparent: TRACEPARENT, tracestate: 'tenant@sys=1,,b=2' })).toBe('tenant@sys=1,b=2');
    expect(await stateOf({ traceparent: TRACEPARENT, tracestate: 'a=1\tb=2' })).toBeUndefined();
    expect(await stateOf({ traceparent: TRACEPARENT, tracestate: 'a=caf\u00e9' })).toBeUndefined();
    expect(await stateOf({ traceparent: TRACEPARENT.toUpperCase(), tracestate: 'a=1' })).toBeUndefined();
    expect(await stateOf({ tracestate: 'a=1' })).toBeUndefined();
  });

  it('traceContext: false ignores traceparent entirely: no trace in state, nothing counted', async () => {
    const registry = new Registry();
    const url = await engineWith({ registry, generator: () => 'r', traceContext: false });
    const res = await request(`${url}/state`, { headers: { traceparent: 'garbage' } });
    expect(res.json<Recorded>()).toEqual({ requestId: 'r', trace: null });
    expect(res.headers.traceparent).toBeUndefined();
    expect(await registry.metrics()).toContain('ward_request_id_replaced_total{reason="invalid_traceparent"} 0');
  });

  it('trustIncoming: false does not inspect (nor count) the incoming id', async () => {
    const registry = new Registry();
    const url = await engineWith({ registry, generator: () => 'fresh', trustIncoming: false });
    expect((await request(`${url}/state`, { headers: { 'x-request-id': 'bad id' } })).headers['x-request-id']).toBe('fresh');
    expect(await registry.metrics()).toContain('ward_request_id_replaced_total{reason="invalid_id"} 0');
  });

  it('counts refused values under its prefix, by reason', async () => {
    const registry = new Registry();
    const url = await engineWith({ registry, prefix: 'acme_' });
    await request(`${url}/state`, { headers: { 'x-request-id': 'bad id' } });
    await request(`${url}/state`, { headers: { 'x-request-id': 'bad id', traceparent: 'bad' } });
    await request(`${url}/state`, { headers: { 'x-request-id': 'good-id', traceparent: TRACEPARENT } });
    await request(`${url}/state`);
    const exposition = await registry.metrics();
    expect(exposition).toContain('# TYPE acme_request_id_replaced_total counter');
    expect(exposition).toContain('acme_request_id_replaced_total{reason="invalid_id"} 2');
    expect(exposition).toContain('acme_request_id_replaced_total{reason="invalid_traceparent"} 1');
  });

  it('draws trace and span ids from one randomFill call per 1536 bytes (64 requests with echo)', async () => {
    let fills = 0;
    let seed = 1;
    const url = await engineWith({
      registry: new Registry(),
      echoTraceparent: true,
      randomFill(target) {
        fills += 1;
        expect(target.byteLength).toBe(1536);
        // A seeded xorshift: deterministic, and no 24-byte block repeats.
        for (let i = 0; i < target.length; i++) {
          seed ^= seed << 13;
          seed ^= seed >>> 17;
          seed ^= seed << 5;
          target[i] = seed & 0xff;
        }
      },
    });
    const agent = keepAliveAgent();
    const seen = new Set<string>();
    try {
      for (let i = 0; i < 65; i++) seen.add((await request(`${url}/state`, { agent })).headers.traceparent as string);
    } finally {
      agent.destroy();
    }
    expect(fills).toBe(2);
    expect(seen.size).toBe(65);
    for (const value of seen) expect(parseTraceparent(value)).toMatchObject({ version: 0, flags: 0 });
  });

  it('never makes an all-zero trace or span id, even from a randomFill that only gives zeros', async () => {
    const url = await engineWith({ registry: new Registry(), echoTraceparent: true, randomFill: (b) => b.fill(0) });
    const res = await request(`${url}/state`);
    expect(res.headers.traceparent).toBe(`00-${'0'.repeat(31)}1-${'0'.repeat(15)}1-00`);
    expect(parseTraceparent(res.headers.traceparent)).toEqual({ version: 0, traceId: `${'0'.repeat(31)}1`, parentId: `${'0'.repeat(15)}1`, flags: 0 });
  });

  it('a second requestId() on the same request (engine global + group) keeps the first id and sets the header once', async () => {
    const engine = new Engine();
    engine.use(requestId({ registry: new Registry(), generator: () => 'outer' }));
    engine.group('/api', requestId({ registry: new Registry(), generator: () => 'inner', header: 'X-Other' })).get('/x', (ctx) => ctx.json(200, { id: ctx.state.requestId }));
    const server = await listen(engine.handler);
    closers.push(server.close);
    const res = await request(`${server.url}/api/x`);
    expect(res.json()).toEqual({ id: 'outer' });
    expect(res.headers['x-request-id']).toBe('outer');
    expect(res.headers['x-other']).toBeUndefined();
  });

  it('nested ward chains on Express and Fastify share the outer id and trace (problem bodies of the inner chain too)', async () => {
    const inner = [
      requestId({ registry: new Registry(), generator: () => 'inner' }),
      (ctx: Context) => ctx.problem(new HttpError(403, { code: 'NOPE' })),
    ];
    const app = express();
    app.use(wardExpress([requestId({ registry: new Registry(), generator: () => 'outer' })]));
    app.get('/x', wardExpress(inner), (_req, res) => {
      res.send('unreachable');
    });
    const expressServer = await listen(app);
    closers.push(expressServer.close);

    const fastify = Fastify();
    await fastify.register(wardFastify([requestId({ registry: new Registry(), generator: () => 'outer' })]));
    await fastify.register(async (scope) => {
      await scope.register(wardFastify(inner));
      scope.get('/x', async () => 'unreachable');
    });
    await fastify.ready();
    const fastifyServer = await listen(fastify.server);
    closers.push(async () => {
      await fastifyServer.close();
      await fastify.close();
    });

    for (const url of [expressServer.url, fastifyServer.url]) {
      const res = await request(`${url}/x`, { headers: { traceparent: TRACEPARENT } });
      expect(res.status, url).toBe(403);
      expect(res.headers['x-request-id'], url).toBe('outer');
      expect(res.json(), url).toEqual({ type: 'urn:ward:problem:nope', title: 'Forbidden', status: 403, code: 'NOPE', request_id: 'outer' });
    }
  });
});

describe('a generator returning an unsafe id', () => {
  const cases: [unknown, string, number | undefined][] = [
    [42, 'requestId({ generator }) returned number, not a string.', undefined],
    [undefined, 'requestId({ generator }) returned undefined, not a string.', undefined],
    ['', 'requestId({ generator }) returned an empty string.', 0],
    ['x'.repeat(129), 'requestId({ generator }) returned a string of 129 characters.', 129],
    ['id with space', 'requestId({ generator }) returned a string with the character U+0020 at index 2.', 13],
    ['caf\u00e9', 'requestId({ generator }) returned a string with the character U+00E9 at index 3.', 4],
  ];

  it.each(cases)('%j is an InvalidGeneratedIdError naming the problem, not the value; the answer is a 500 without it', async (value, start, length) => {
    const errors: unknown[] = [];
    const url = await engineWith({ registry: new Registry(), generator: () => value as string }, (error) => errors.push(error));
    const res = await request(`${url}/state`);
    expect(res.status).toBe(500);
    expect(res.headers['x-request-id']).toBeUndefined();
    expect(res.json()).toEqual({ type: 'urn:ward:problem:internal-error', title: 'Internal Server Error', status: 500, code: 'INTERNAL_ERROR' });
    expect(errors).toHaveLength(1);
    const error = errors[0] as InvalidGeneratedIdError;
    expect(error).toBeInstanceOf(InvalidGeneratedIdError);
    expect(isInvalidGeneratedIdError(error)).toBe(true);
    expect(error.code).toBe('REQUEST_ID_GENERATOR_INVALID');
    expect(error.message).toBe(
      `${start} Ids must be 1–128 characters of A–Z a–z 0–9 . _ : - (the value is not shown, so that an unsafe id never reaches a log). Fix the generator.`,
    );
    expect(error.length).toBe(length);
    expect(isInvalidGeneratedIdError(new Error('other'))).toBe(false);
  });
});
