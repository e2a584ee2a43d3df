import { Readable } from 'node:stream';
import { abortAfter, deferred, listen, once, request, ResponseAbortedError, type TestServer } from '@ward/core/testing';
import { Engine, type EngineOptions } from '@ward/engine';
import { afterEach, describe, expect, it } from 'vitest';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(setup: (engine: Engine) => void, options?: EngineOptions): Promise<TestServer> {
  const engine = new Engine({ onError: () => {}, ...options });
  setup(engine);
  server = await listen(engine.handler);
  return server;
}

describe('engine: ctx.stream()', () => {
  it('streams an async generator with the middleware’s headers; next() resolves after the last chunk', async () => {
    const log: string[] = [];
    const seen: unknown[] = [];
    const { url } = await start((engine) => {
      engine.use(async function observe(ctx, next) {
        ctx.res.setHeader('x-before', 'kept');
        await next();
        log.push('after next');
        seen.push(ctx.res.committed, ctx.res.body, ctx.res.status);
        // Ignored: the headers are on the wire.
        ctx.res.setHeader('x-late', 'dropped');
      });
      engine.get('/events', async (ctx) => {
        await ctx.stream(
          (async function* events() {
            try {
              yield 'data: 1\n\n';
              yield new TextEncoder().encode('data: 2\n\n');
            } finally {
              log.push('source done');
            }
          })(),
          { contentType: 'text/event-stream' },
        );
        log.push('stream resolved');
      });
    });
    const res = await request(`${url}/events`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['x-before']).toBe('kept');
    expect(res.headers['x-late']).toBeUndefined();
    expect(res.text).toBe('data: 1\n\ndata: 2\n\n');
    expect(log).toEqual(['source done', 'stream resolved', 'after next']);
    expect(seen).toEqual([true, undefined, 200]);
  });

  it('makes the global middleware wait for a stream the handler did not await', async () => {
    const log: string[] = [];
    const { url } = await start((engine) => {
      engine.use(async function observe(_ctx, next) {
        await next();
        log.push('after next');
      });
      engine.get('/s', (ctx) => {
        void ctx.stream(
          (async function* chunks() {
            yield 'a';
            await new Promise((resolve) => setImmediate(resolve));
            yield 'b';
            log.push('source done');
          })(),
        );
        log.push('handler returned');
      });
    });
    const res = await request(`${url}/s`);
    expect(res.text).toBe('ab');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(log).toEqual(['handler returned', 'source done', 'after next']);
  });

  it('streams a node Readable with a given status, keeping a status set earlier otherwise', async () => {
    const { url } = await start((engine) => {
      engine.get('/partial', (ctx) => ctx.stream(Readable.from([Buffer.from('abc'), 'def']), { status: 206, contentType: 'text/plain' }));
      engine.get('/created', (ctx) => {
        ctx.res.status = 201;
        ctx.res.setHeader('content-type', 'application/x-ndjson');
        return ctx.stream(Readable.from(['{"a":1}\n']));
      });
    });
    const partial = await request(`${url}/partial`);
    expect([partial.status, partial.headers['content-type'], partial.text]).toEqual([206, 'text/plain', 'abcdef']);
    const created = await request(`${url}/created`);
    expect([created.status, created.headers['content-type'], created.text]).toEqual([201, 'application/x-ndjson', '{"a":1}\n']);
  });

  it('answers HEAD with the headers only and never reads the source', async () => {
    let pulled = 0;
    const { url } = await start((engine) =>
      engine.get('/s', (ctx) =>
        ctx.stream(
          (async function* chunks() {
            pulled++;
            yield 'x';
          })(),
          { contentType: 'text/plain' },
        ),
      ),
    );
    const res = await request(`${url}/s`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.text).toBe('');
    expect(pulled).toBe(0);
  });

  it('cuts the connection when the source fails mid-way, and reports the error once', async () => {
    const reported: unknown[] = [];
    const firstReport = deferred<void>();
    const failure = new Error('disk on fire');
    const { url } = await start(
      (engine) =>
        engine.get('/s', (ctx) =>
          ctx.stream(
            (async function* chunks() {
              yield 'first;';
              await new Promise((resolve) => setImmediate(resolve));
              throw failure;
            })(),
          ),
        ),
      {
        onError: (error) => {
          reported.push(error);
          firstReport.resolve();
        },
      },
    );
    const error = await request(`${url}/s`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ResponseAbortedError);
    expect((error as ResponseAbortedError).status).toBe(200);
    expect((error as ResponseAbortedError).received.toString()).toBe('first;');
    await firstReport.promise;
    expect(reported).toEqual([failure]);
  });

  it('a source failing mid-way rejects next() in global middleware with its error (rule 5); handled there, onError stays silent', async () => {
    const reported: unknown[] = [];
    const seen: unknown[] = [];
    const caught = deferred<void>();
    const failure = new Error('disk on fire');
    const { url } = await start(
      (engine) => {
        engine.use(async function catcher(ctx, next) {
          try {
            await next();
            seen.push('resolved');
          } catch (error) {
            seen.push(error, ctx.res.committed);
            caught.resolve();
          }
        });
        engine.get('/s', (ctx) =>
          ctx.stream(
            (async function* chunks() {
              yield 'first;';
              await new Promise((resolve) => setImmediate(resolve));
              throw failure;
            })(),
          ),
        );
      },
      { onError: (error) => reported.push(error) },
    );
    const error = await request(`${url}/s`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ResponseAbortedError);
    await caught.promise;
    expect(seen).toEqual([failure, true]);
    expect(reported).toEqual([]);
  });

  it('destroys the source when the client goes away, without reporting it', async () => {
    const reported: unknown[] = [];
    const source = new Readable({ read() {} });
    source.push('first chunk');
    const finished = deferred<void>();
    const { url } = await start(
      (engine) =>
        engine.get('/s', async (ctx) => {
          await ctx.stream(source);
          finished.resolve();
        }),
      { onError: (error) => reported.push(error) },
    );
    const closed = once(source, 'close');
    const exchange = await abortAfter(`${url}/s`, { after: 'first-chunk' });
    expect(exchange.status).toBe(200);
    expect(exchange.received.toString()).toBe('first chunk');
    await closed;
    expect(source.destroyed).toBe(true);
    await finished.promise;
    expect(reported).toEqual([]);
  });

  it('drops a second stream once the response is committed, releasing its source', async () => {
    const second = Readable.from(['never']);
    const { url } = await start((engine) =>
      engine.get('/s', async (ctx) => {
        const first = ctx.stream(Readable.from(['one']));
        await ctx.stream(second);
        await first;
      }),
    );
    const res = await request(`${url}/s`);
    expect(res.text).toBe('one');
    expect(second.destroyed).toBe(true);
  });

  it('refuses a source or options it cannot stream, as programmer errors', async () => {
    const errors: unknown[] = [];
    const { url } = await start(
      (engine) => {
        engine.get('/string', (ctx) => ctx.stream('text' as never));
        engine.get('/status', (ctx) => ctx.stream(Readable.from(['x']), { status: 204 }));
        engine.get('/type', (ctx) => ctx.stream(Readable.from(['x']), { contentType: '' }));
      },
      { onError: (error) => errors.push(error) },
    );
    for (const path of ['/string', '/status', '/type']) expect((await request(`${url}${path}`)).status).toBe(500);
    expect(errors.map((e) => [(e as Error).name, (e as Error).message])).toEqual([
      [
        'TypeError',
        'ctx.stream(source): source must be a Readable or an AsyncIterable of string/Uint8Array (e.g. an async generator), got string',
      ],
      ['RangeError', 'ctx.stream(): status must be an integer from 200 to 599 that carries content (not 204/205/304), got 204'],
      ['TypeError', 'ctx.stream(): contentType must be a non-empty string such as "text/event-stream", got ""'],
    ]);
  });
});
