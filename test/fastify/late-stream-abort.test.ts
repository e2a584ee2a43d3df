import { afterEach, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, type Middleware } from '@ward/core';
import { abortAfter, deferred, keepAliveAgent, request } from '@ward/core/testing';
import { ward } from '@ward/fastify';
import { logRecorder, type Running, start } from './helpers.js';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** A deadline that fires when the handler has started (an event, not a timer); `/ok` passes. */
function deadlineAt(started: Promise<void>): Middleware {
  return async function deadline(ctx, next) {
    if (ctx.req.path === '/ok') return next();
    const downstream = next();
    downstream.catch(() => undefined);
    await Promise.race([downstream, started]);
    ctx.problem(new HttpError(503, { code: 'DEADLINE_EXCEEDED' }));
  };
}

type LateKind = 'reply.send (async)' | 'reply.send (callback)' | 'return value' | 'throw';

describe('one response: late output after ward answered is dropped (rule 4)', () => {
  it.each<LateKind>(['reply.send (async)', 'reply.send (callback)', 'return value', 'throw'])(
    'late %s is dropped silently and the connection stays usable',
    async (kind) => {
      const started = deferred();
      const gate = deferred();
      const lateDone = deferred();
      let handlerCalls = 0;
      const log = logRecorder();
      const handlers: Record<LateKind, (request: FastifyRequest, reply: FastifyReply) => unknown> = {
        'reply.send (async)': async (_request, reply) => {
          handlerCalls += 1;
          started.resolve();
          await gate.promise;
          reply.code(200).header('x-late', '1').send('late');
          lateDone.resolve();
          return reply;
        },
        'reply.send (callback)': (_request, reply) => {
          handlerCalls += 1;
          started.resolve();
          void gate.promise.then(() => {
            reply.code(200).header('x-late', '1').send('late');
            lateDone.resolve();
          });
        },
        'return value': async () => {
          handlerCalls += 1;
          started.resolve();
          await gate.promise;
          lateDone.resolve();
          return { late: true };
        },
        throw: async () => {
          handlerCalls += 1;
          started.resolve();
          await gate.promise;
          lateDone.resolve();
          throw new Error('late failure');
        },
      };
      running = await start(
        async (app) => {
          await app.register(ward([deadlineAt(started.promise)]));
          app.get('/slow', handlers[kind]);
          app.get('/ok', async () => 'ok');
        },
        { logger: { level: 'warn', stream: log.stream } },
      );
      const agent = keepAliveAgent();
      try {
        const first = await request(`${running.url}/slow`, { agent });
        expect(first.status).toBe(503);
        expect(first.headers['content-type']).toBe('application/problem+json');
        expect(first.headers['x-late']).toBeUndefined();
        expect(first.json()).toMatchObject({ status: 503, code: 'DEADLINE_EXCEEDED' });

        gate.resolve();
        await lateDone.promise;
        // Let Fastify process the late value (microtasks and one turn of the loop).
        await turn();
        await turn();

        const second = await request(`${running.url}/ok`, { agent });
        expect(second.status).toBe(200);
        expect(second.text).toBe('ok');
        expect(second.reusedSocket).toBe(true);
        expect(handlerCalls).toBe(1);
        expect(log.warnings()).toEqual([]);
      } finally {
        agent.destroy();
      }
    },
  );

  it('does not run the handler when ward answered while Fastify was still reading the body', async () => {
    const bodyArriving = deferred();
    let handlerCalls = 0;
    running = await start(async (app) => {
      app.addHook('preParsing', async () => {
        bodyArriving.resolve();
      });
      await app.register(ward([deadlineAt(bodyArriving.promise)]));
      app.post('/', async () => {
        handlerCalls += 1;
        return 'never';
      });
    });
    const res = await request(`${running.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(503);
    const again = await request(`${running.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(again.status).toBe(503);
    expect(handlerCalls).toBe(0);
  });
});

describe('streaming (rule 3)', () => {
  it('passes a Readable payload through; committed is true and next() resolves when it finished', async () => {
    const seen: unknown[] = [];
    running = await start(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            ctx.res.setHeader('x-before', '1');
            await next();
            seen.push(ctx.res.committed, ctx.res.answered, ctx.res.body, ctx.res.status, ctx.raw.res.writableFinished);
            ctx.res.setHeader('x-after', '1');
            ctx.res.status = 500;
            ctx.res.body = 'ignored';
          },
        ]),
      );
      app.get('/stream', (_request, reply) => {
        reply.type('text/plain; charset=utf-8').send(Readable.from(['a', 'b', 'c']));
      });
    });
    const res = await request(`${running.url}/stream`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('abc');
    expect(res.headers['x-before']).toBe('1');
    expect(res.headers['x-after']).toBeUndefined();
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    await expect.poll(() => seen.length).toBe(5);
    expect(seen).toEqual([true, true, undefined, 200, true]);
  });

  it('passes a web ReadableStream through as committed', async () => {
    const seen: unknown[] = [];
    running = await start(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            seen.push(ctx.res.committed, ctx.res.body);
          },
        ]),
      );
      app.get('/web', (_request, reply) => {
        const bytes = new TextEncoder().encode('web stream');
        reply.type('text/plain').send(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(bytes);
              controller.close();
            },
          }),
        );
      });
    });
    const res = await request(`${running.url}/web`);
    expect(res.text).toBe('web stream');
    await expect.poll(() => seen).toEqual([true, undefined]);
  });

  it('treats a hijacked reply as committed', async () => {
    const seen: unknown[] = [];
    running = await start(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            seen.push(ctx.res.committed);
          },
        ]),
      );
      app.get('/raw', (_request, reply) => {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/plain' });
        reply.raw.end('raw bytes');
      });
    });
    const res = await request(`${running.url}/raw`);
    expect(res.text).toBe('raw bytes');
    await expect.poll(() => seen).toEqual([true]);
  });

  it.each(['sync', 'async'])('a %s handler that streams to reply.raw across turns without hijack(): next() settles when the response ends, committed', async (kind) => {
    const seen: unknown[] = [];
    running = await start(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            await next();
            seen.push(ctx.res.committed);
          },
        ]),
      );
      const write = (reply: FastifyReply): void => {
        reply.raw.writeHead(200, { 'content-type': 'text/plain' });
        reply.raw.write('r1');
        setImmediate(() => reply.raw.end('r2'));
      };
      if (kind === 'sync') app.get('/raw', (_request, reply) => write(reply));
      else
        app.get('/raw', async (_request, reply) => {
          await turn();
          write(reply);
        });
    });
    const res = await request(`${running.url}/raw`);
    expect([res.status, res.text]).toEqual([200, 'r1r2']);
    await expect.poll(() => seen).toEqual([true]);
  });

  it('cuts the connection when a middleware fails after a stream was committed', async () => {
    const log = logRecorder();
    const failed = deferred<unknown>();
    running = await start(
      async (app) => {
        await app.register(
          ward([
            async (_ctx, next) => {
              await next();
              const error = new Error('too late to answer');
              failed.resolve(error);
              throw error;
            },
          ]),
        );
        app.get('/stream', (_request, reply) => reply.send(Readable.from(['x'])));
      },
      { logger: { level: 'error', stream: log.stream } },
    );
    const res = await request(`${running.url}/stream`);
    expect(res.text).toBe('x');
    await failed.promise;
    await expect.poll(() => log.lines.map((line) => line.err?.message)).toContain('too late to answer');
  });
});

describe('client abort', () => {
  it('aborts ctx.signal with CLIENT_CLOSED while the handler works', async () => {
    const started = deferred();
    const reason = deferred<unknown>();
    const handlerSawClose = deferred();
    running = await start(async (app) => {
      await app.register(
        ward([
          async (ctx, next) => {
            ctx.signal.addEventListener('abort', () => reason.resolve(ctx.signal.reason));
            await next();
          },
        ]),
      );
      app.get('/slow', async (request) => {
        started.resolve();
        await new Promise((resolve) => request.raw.socket.once('close', resolve));
        handlerSawClose.resolve();
        return 'nobody listens';
      });
    });
    await abortAfter(`${running.url}/slow`, { after: started.promise });
    const why = (await reason.promise) as { name?: string; code?: string };
    expect(why.name).toBe('ClientClosedError');
    expect(why.code).toBe('CLIENT_CLOSED');
    await handlerSawClose.promise;
    // The server is still fine.
    const res = await request(`${running.url}/slow`.replace('/slow', '/nope'));
    expect(res.status).toBe(404);
  });
});
