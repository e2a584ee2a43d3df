/**
 * Scenarios: the life of a response: late writes after an answer, streaming, client aborts, HEAD, unknown paths.
 */
import { setImmediate as tick } from 'node:timers/promises';
import { expect } from 'vitest';
import { HttpError } from '@ward/core';
import { abortAfter, keepAliveAgent } from '@ward/core/testing';
import { checkResponse, type Scenario } from '../harness.js';
import { JSON_BODY, JSON_TYPE, STREAM_CHUNKS, TEXT_TYPE } from '../probe.js';
import { passthrough } from './shared.js';

export const LIFECYCLE: readonly Scenario[] = [
  {
    name: 'late write: a middleware answers 503 while the handler runs; the late write is dropped and the connection stays usable',
    chain: (probe) => [
      async function deadline(ctx, next) {
        if (ctx.req.path !== '/slow') return next();
        const downstream = next();
        // Whatever the late downstream settles with, it must not become an unhandled rejection.
        downstream.then(
          () => probe.event('downstream').resolve('resolved'),
          (error: unknown) => probe.event('downstream').resolve(error),
        );
        await probe.slow.started.promise;
        ctx.problem(new HttpError(503));
      },
    ],
    async run({ probe, send, target }) {
      const agent = keepAliveAgent();
      try {
        const first = await send('/slow', { agent });
        checkResponse(
          first,
          {
            status: 503,
            problem: { type: 'urn:ward:problem:service-unavailable', title: 'Service Unavailable', status: 503, code: 'SERVICE_UNAVAILABLE' },
          },
          target,
          'the 503',
        );
        probe.slow.release.resolve();
        const late = await probe.slow.finished.promise;
        expect(late.error, 'the late write threw').toBeUndefined();
        // Let the framework finish whatever the late write set in motion.
        await tick();
        const second = await send('/json', { agent });
        checkResponse(second, { status: 200, json: JSON_BODY }, target, 'the next request on the same connection');
        expect(second.reusedSocket, 'the second request reused the keep-alive connection').toBe(true);
      } finally {
        agent.destroy();
      }
    },
    counts: { slow: 1, json: 1 },
  },
  {
    name: 'streaming: chunks pass through with the middleware’s headers, and ctx.res.committed is true after next()',
    chain: (probe) => [
      async function observe(ctx, next) {
        ctx.res.setHeader('x-before', 'kept');
        await next();
        probe.seen.committed = ctx.res.committed;
        probe.seen.body = ctx.res.body;
      },
    ],
    exchanges: [
      {
        path: '/stream',
        expect: {
          status: 200,
          headers: { 'content-type': TEXT_TYPE, 'transfer-encoding': 'chunked', 'content-length': null, 'x-before': 'kept' },
          text: STREAM_CHUNKS.join(''),
        },
      },
    ],
    counts: { stream: 1 },
    verify({ probe }) {
      expect(probe.seen).toEqual({ committed: true, body: undefined });
    },
  },
  {
    name: 'client abort: ctx.signal aborts with CLIENT_CLOSED when the client goes away',
    chain: (probe) => [
      async function watch(ctx, next) {
        const signal = ctx.signal;
        signal.addEventListener('abort', () => probe.event('aborted').resolve({ aborted: signal.aborted, reason: signal.reason }), {
          once: true,
        });
        await next();
      },
    ],
    async run({ url, probe }) {
      await abortAfter(`${url}/hang`, { after: probe.hang.started.promise });
      const seen = await probe.event<{ aborted: boolean; reason: unknown }>('aborted').promise;
      expect(seen.aborted).toBe(true);
      expect(seen.reason).toBeInstanceOf(Error);
      expect(seen.reason).toMatchObject({ name: 'ClientClosedError', code: 'CLIENT_CLOSED' });
      await probe.hang.closed.promise;
    },
    counts: { hang: 1 },
  },
  {
    name: 'client abort: a signal first read after the close is already aborted with CLIENT_CLOSED',
    chain: (probe) => [
      async function lateLook(ctx, next) {
        next().catch(() => {});
        await probe.hang.closed.promise;
        probe.event('aborted').resolve({ aborted: ctx.signal.aborted, code: (ctx.signal.reason as { code?: unknown }).code });
      },
    ],
    async run({ url, probe }) {
      await abortAfter(`${url}/hang`, { after: probe.hang.started.promise });
      expect(await probe.event('aborted').promise).toEqual({ aborted: true, code: 'CLIENT_CLOSED' });
    },
    counts: { hang: 1 },
  },
  {
    name: "HEAD on a GET route: 200, no body, the GET's content-length",
    chain: () => [passthrough],
    exchanges: [
      {
        path: '/json',
        expect: { status: 200, headers: { 'content-length': String(Buffer.byteLength(JSON.stringify(JSON_BODY))) }, json: JSON_BODY },
      },
      {
        path: '/json',
        request: { method: 'HEAD' },
        expect: {
          status: 200,
          headers: { 'content-length': String(Buffer.byteLength(JSON.stringify(JSON_BODY))), 'content-type': JSON_TYPE },
          text: '',
        },
      },
    ],
    counts: { json: 2 },
  },
  {
    name: 'an unknown path is a 404 (problem+json NOT_FOUND where the adapter owns it)',
    chain: () => [passthrough],
    exchanges: [{ path: '/nope', expect: { status: 404, notFound: true } }],
    counts: {},
  },
];
