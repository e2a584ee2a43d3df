/**
 * ResponseCapture (deferred commit for handlers that write with node's API),
 * through @ward/node over real sockets: buffering then one commit, streaming
 * after a tick, flushHeaders, writeHead forms, and drop mode after ward
 * answered on its own.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type Context, HttpError, type Middleware } from '@ward/core';
import { deferred, keepAliveAgent, listen, request, ResponseAbortedError, type TestServer } from '@ward/core/testing';
import { type NodeHandler, wardListener } from '@ward/node';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Seen {
  status?: number;
  body?: string | undefined;
  committed?: boolean;
  answered?: boolean;
  header?: string | undefined;
}

/** A middleware that records the response after next(), then optionally changes it. */
function observe(seen: Seen, change?: (ctx: Context) => void): Middleware {
  return async function observe(ctx, next) {
    await next();
    seen.status = ctx.res.status;
    const body = ctx.res.body;
    seen.body = body === undefined ? undefined : typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
    seen.committed = ctx.res.committed;
    seen.answered = ctx.res.answered;
    seen.header = ctx.res.header('x-handler');
    change?.(ctx);
  };
}

async function serve(middleware: Middleware[], handler: NodeHandler): Promise<TestServer> {
  server = await listen(wardListener(middleware, handler, { onError: () => {} }));
  return server;
}

describe('capture: buffer then commit', () => {
  it('holds writes made in one turn and commits them once, with a computed Content-Length', async () => {
    const seen: Seen = {};
    const { url } = await serve([observe(seen)], (_req, res) => {
      res.setHeader('x-handler', 'yes');
      res.write('a');
      res.write(Buffer.from('b'));
      res.end('c');
    });
    const res = await request(url);
    expect(seen).toEqual({ status: 200, body: 'abc', committed: false, answered: true, header: 'yes' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('abc');
    expect(res.headers['content-length']).toBe('3');
    expect(res.headers['transfer-encoding']).toBeUndefined();
  });

  it('lets code after next() replace status, headers and body', async () => {
    const { url } = await serve(
      [
        observe({}, (ctx) => {
          ctx.res.status = 418;
          ctx.res.removeHeader('x-handler');
          ctx.res.setHeader('x-after', '1');
          ctx.res.body = 'replaced body';
        }),
      ],
      (_req, res) => {
        res.setHeader('x-handler', 'yes');
        res.setHeader('content-length', '2');
        res.end('ok');
      },
    );
    const res = await request(url);
    expect(res.status).toBe(418);
    expect(res.text).toBe('replaced body');
    expect(res.headers['content-length']).toBe('13');
    expect(res.headers['x-after']).toBe('1');
    expect(res.headers['x-handler']).toBeUndefined();
  });

  it('keeps a handler’s own Content-Length when the body was not replaced (HEAD keeps it too)', async () => {
    const { url } = await serve([observe({})], (req, res) => {
      res.setHeader('content-length', '5');
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    });
    expect((await request(url)).headers['content-length']).toBe('5');
    const head = await request(url, { method: 'HEAD' });
    expect(head.headers['content-length']).toBe('5');
    expect(head.text).toBe('');
  });

  it('decodes a write with an encoding, and calls write and end callbacks', async () => {
    const calls: string[] = [];
    const seen: Seen = {};
    const { url } = await serve([observe(seen)], (_req, res) => {
      res.write('6869', 'hex', () => calls.push('write'));
      res.end(() => calls.push('end'));
    });
    const res = await request(url);
    expect(res.text).toBe('hi');
    expect(seen.body).toBe('hi');
    expect(calls).toEqual(['write', 'end']);
  });

  it('answers 204 without Content-Length and without a body', async () => {
    const { url } = await serve([observe({})], (_req, res) => {
      res.statusCode = 204;
      res.end();
    });
    const res = await request(url);
    expect(res.status).toBe(204);
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.text).toBe('');
  });
});

describe('capture: writeHead', () => {
  it('holds writeHead(status, headers) so code after next() can still change it', async () => {
    const seen: Seen = {};
    const { url } = await serve([observe(seen, (ctx) => ctx.res.setHeader('x-after', '1'))], (_req, res) => {
      res.writeHead(201, { 'x-handler': 'obj', 'content-type': 'text/plain' });
      res.end('made');
    });
    const res = await request(url);
    expect(seen).toMatchObject({ status: 201, header: 'obj', committed: false });
    expect(res.status).toBe(201);
    expect(res.headers['x-after']).toBe('1');
    expect(res.headers['content-type']).toBe('text/plain');
  });

  it('takes the raw [name, value, …] header array form and a reason phrase', async () => {
    const seen: Seen = {};
    const { url } = await serve([observe(seen)], (_req, res) => {
      res.writeHead(202, 'Queued Up', ['X-Handler', 'raw', 'X-Second', 'two']);
      res.end();
    });
    const res = await request(url);
    expect(seen).toMatchObject({ status: 202, header: 'raw' });
    expect(res.status).toBe(202);
    expect(res.headers['x-second']).toBe('two');
    expect(res.statusMessage).toBe('Queued Up');
  });
});

describe('capture: streaming', () => {
  it('streams a write not followed by end() in the same turn: committed, no body, chunked', async () => {
    const seen: Seen = {};
    const { url } = await serve([observe(seen)], async (_req, res) => {
      res.setHeader('x-handler', 'yes');
      res.write('first;');
      await tick();
      await tick();
      res.write('second;');
      res.end('last');
    });
    const res = await request(url);
    expect(res.text).toBe('first;second;last');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-length']).toBeUndefined();
    expect(seen).toEqual({ status: 200, body: undefined, committed: true, answered: true, header: 'yes' });
  });

  it('ignores changes made after next() once the response streamed', async () => {
    const { url } = await serve(
      [
        observe({}, (ctx) => {
          ctx.res.status = 500;
          ctx.res.setHeader('x-after', '1');
          ctx.res.body = 'nope';
          ctx.json(500, { nope: true });
        }),
      ],
      async (_req, res) => {
        res.write('a');
        await tick();
        await tick();
        res.end('b');
      },
    );
    const res = await request(url);
    expect(res.status).toBe(200);
    expect(res.text).toBe('ab');
    expect(res.headers['x-after']).toBeUndefined();
  });

  it('flushHeaders() starts streaming at once', async () => {
    const seen: Seen = {};
    const { url } = await serve([observe(seen)], (_req, res) => {
      res.setHeader('content-type', 'text/event-stream');
      res.flushHeaders();
      res.write('data: 1\n\n');
      res.end();
    });
    const res = await request(url);
    expect(seen.committed).toBe(true);
    expect(seen.body).toBeUndefined();
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.text).toBe('data: 1\n\n');
  });

  it('the client receives the first chunk while the handler is still writing', async () => {
    const gotFirst = deferred<void>();
    const { url } = await serve([observe({})], async (_req, res) => {
      res.write('first');
      await gotFirst.promise;
      res.end('done');
    });
    const { get } = await import('node:http');
    const text = await new Promise<string>((resolve, reject) => {
      get(url, (res: IncomingMessage) => {
        let all = '';
        res.on('data', (chunk: Buffer) => {
          all += chunk.toString();
          if (all === 'first') gotFirst.resolve();
        });
        res.on('end', () => resolve(all));
      }).on('error', reject);
    });
    expect(text).toBe('firstdone');
  });
});

describe('capture: a downstream that fails mid-stream', () => {
  it('cuts the connection even when a middleware catches the error (a half-sent body cannot be completed)', async () => {
    const caught: unknown[] = [];
    const boom = new Error('mid-stream');
    const { url } = await serve(
      [
        async function catchAll(ctx, next) {
          try {
            await next();
          } catch (error) {
            caught.push(error);
            ctx.problem(error); // ignored: already committed
          }
        },
      ],
      async (_req, res) => {
        res.write('partial');
        await tick();
        await tick();
        throw boom;
      },
    );
    const error = await request(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseAbortedError);
    expect((error as ResponseAbortedError).received.toString()).toBe('partial');
    expect(caught).toEqual([boom]);
  });
});

describe('capture: drop mode', () => {
  it('drops everything a handler writes after ward answered, without throwing, and the connection stays usable', async () => {
    const started = deferred<void>();
    const release = deferred<void>();
    const lateResult = deferred<{ threw?: unknown; callbacks: string[] }>();
    const deadline: Middleware = async function deadline(ctx, next) {
      if (ctx.req.path !== '/slow') return next();
      next().catch(() => {});
      await started.promise;
      ctx.problem(new HttpError(503));
    };
    const handler: NodeHandler = async (req: IncomingMessage, res: ServerResponse) => {
      if (req.url !== '/slow') {
        res.end('fresh');
        return;
      }
      started.resolve();
      await release.promise;
      const callbacks: string[] = [];
      try {
        res.setHeader('x-late', '1');
        res.appendHeader('x-late', '2');
        res.removeHeader('content-type');
        res.writeHead(200, { 'x-late': '3' });
        res.flushHeaders();
        res.write('late', () => callbacks.push('write'));
        res.end('late end', () => callbacks.push('end'));
        await tick();
        lateResult.resolve({ callbacks });
      } catch (threw) {
        lateResult.resolve({ threw, callbacks });
      }
    };
    const { url } = await serve([deadline], handler);
    const agent = keepAliveAgent();
    try {
      const first = await request(`${url}/slow`, { agent });
      expect(first.status).toBe(503);
      expect(first.json()).toEqual({ type: 'urn:ward:problem:service-unavailable', title: 'Service Unavailable', status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(first.headers['x-late']).toBeUndefined();
      release.resolve();
      expect(await lateResult.promise).toEqual({ callbacks: ['write', 'end'] });
      const second = await request(`${url}/fresh`, { agent });
      expect(second.reusedSocket).toBe(true);
      expect(second.text).toBe('fresh');
      expect(second.headers['x-late']).toBeUndefined();
    } finally {
      agent.destroy();
    }
  });
});
