/**
 * @ward/node error handling: unhandled errors become a 500 problem (or an
 * HttpError's own answer); onError hears about server faults only; a broken
 * onError does not break the answer; an error after streaming began cuts the
 * connection instead of sending a second status line.
 */
import http from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Context, HttpError, type Middleware } from '@ward/core';
import { abortAfter, deferred, listen, once, request, type TestServer } from '@ward/core/testing';
import { wardListener } from '@ward/node';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  vi.restoreAllMocks();
});

const INTERNAL = { type: 'urn:ward:problem:internal-error', title: 'Internal Server Error', status: 500, code: 'INTERNAL_ERROR' };

function reporter(): { calls: [unknown, Context][]; onError: (error: unknown, ctx: Context) => void } {
  const calls: [unknown, Context][] = [];
  return { calls, onError: (error, ctx) => void calls.push([error, ctx]) };
}

describe('onError', () => {
  it('hears a handler’s thrown error with the ctx, and the client gets a 500 problem', async () => {
    const { calls, onError } = reporter();
    const boom = new Error('boom');
    server = await listen(
      wardListener(
        [],
        () => {
          throw boom;
        },
        { onError },
      ),
    );
    const res = await request(server.url);
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json()).toEqual(INTERNAL);
    expect(calls).toHaveLength(1);
    expect(calls[0]![0]).toBe(boom);
    expect(calls[0]![1].adapter).toBe('node');
  });

  it('hears a rejected handler promise', async () => {
    const { calls, onError } = reporter();
    server = await listen(wardListener([], () => Promise.reject(new Error('async boom')), { onError }));
    expect((await request(server.url)).status).toBe(500);
    expect(calls.map(([e]) => (e as Error).message)).toEqual(['async boom']);
  });

  it('hears an HttpError 5xx, which keeps its own status', async () => {
    const { calls, onError } = reporter();
    const upstream = new HttpError(502, { code: 'UPSTREAM_FAILED' });
    server = await listen(
      wardListener(
        [
          () => {
            throw upstream;
          },
        ],
        undefined,
        { onError },
      ),
    );
    const res = await request(server.url);
    expect(res.status).toBe(502);
    expect(res.json()).toEqual({ type: 'urn:ward:problem:upstream-failed', title: 'Bad Gateway', status: 502, code: 'UPSTREAM_FAILED' });
    expect(calls.map(([e]) => e)).toEqual([upstream]);
  });

  it('does not hear an HttpError 4xx, which is answered as it is', async () => {
    const { calls, onError } = reporter();
    server = await listen(
      wardListener(
        [
          () => {
            throw new HttpError(403, { detail: 'Not yours', headers: { 'x-reason': 'owner' } });
          },
        ],
        undefined,
        { onError },
      ),
    );
    const res = await request(server.url);
    expect(res.status).toBe(403);
    expect(res.headers['x-reason']).toBe('owner');
    expect(res.json()).toEqual({ type: 'urn:ward:problem:forbidden', title: 'Forbidden', status: 403, code: 'FORBIDDEN', detail: 'Not yours' });
    expect(calls).toEqual([]);
  });

  it('does not hear CLIENT_CLOSED when the client went away', async () => {
    const { calls, onError } = reporter();
    const started = deferred<void>();
    const rejected = deferred<void>();
    const giveUp: Middleware = async function giveUp(ctx) {
      if (ctx.req.path === '/ok') return ctx.text(200, 'ok');
      started.resolve();
      await once(ctx.signal, 'abort');
      rejected.resolve();
      throw ctx.signal.reason;
    };
    server = await listen(wardListener([giveUp], undefined, { onError }));
    await abortAfter(server.url, { after: started.promise });
    await rejected.promise;
    // The rejection is handled in the same microtask run; a full request later it is surely done.
    expect((await request(`${server.url}/ok`)).text).toBe('ok');
    expect(calls).toEqual([]);
  });

  it('defaults to printing server faults on stderr', async () => {
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    const boom = new Error('printed');
    server = await listen(
      wardListener([], () => {
        throw boom;
      }),
    );
    expect((await request(server.url)).status).toBe(500);
    expect(printed).toHaveBeenCalledTimes(1);
    expect(printed).toHaveBeenCalledWith('[ward] unhandled error:', boom);
  });

  it('an onError that throws does not break the answer', async () => {
    let called = 0;
    server = await listen(
      wardListener(
        [],
        () => {
          throw new Error('first');
        },
        {
          onError() {
            called++;
            throw new Error('reporter is broken');
          },
        },
      ),
    );
    const res = await request(server.url);
    expect(res.status).toBe(500);
    expect(res.json()).toEqual(INTERNAL);
    expect(called).toBe(1);
    expect((await request(server.url)).status).toBe(500);
  });
});

describe('errors after streaming started', () => {
  it('cut the connection: the client sees an aborted response, onError hears it, the server lives on', async () => {
    const { calls, onError } = reporter();
    const clientHasHead = deferred<void>();
    const boom = new Error('mid-stream');
    server = await listen(
      wardListener(
        [],
        async (req, res) => {
          if (req.url === '/ok') return void res.end('ok');
          res.write('partial');
          await clientHasHead.promise;
          throw boom;
        },
        { onError },
      ),
    );
    const outcome = await new Promise<{ status?: number; received: string; error?: string }>((resolve) => {
      let received = '';
      http
        .get(server!.url, (res) => {
          res.on('data', (chunk: Buffer) => {
            received += chunk.toString();
            clientHasHead.resolve();
          });
          res.on('error', (error: Error) => resolve({ status: res.statusCode, received, error: error.message }));
          res.on('end', () => resolve({ status: res.statusCode, received }));
        })
        .on('error', (error) => resolve({ received, error: error.message }));
    });
    expect(outcome).toEqual({ status: 200, received: 'partial', error: 'aborted' });
    expect(calls.map(([e]) => e)).toEqual([boom]);
    expect((await request(`${server.url}/ok`)).text).toBe('ok');
  });
});

describe('security: errors never leak', () => {
  it('a thrown secret stays in the process', async () => {
    server = await listen(
      wardListener(
        [],
        () => {
          throw new Error('password=hunter2');
        },
        { onError: () => {} },
      ),
    );
    const res = await request(server.url);
    expect(res.text).not.toContain('hunter2');
    expect(res.json()).toEqual(INTERNAL);
  });

  it('a thrown non-Error (string, undefined, null) is still one 500 problem answer', async () => {
    for (const thrown of ['a string', undefined, null, 42]) {
      const { calls, onError } = reporter();
      server = await listen(
        wardListener(
          [],
          () => {
            throw thrown;
          },
          { onError },
        ),
      );
      const res = await request(server.url);
      expect(res.status).toBe(500);
      expect(res.json()).toEqual(INTERNAL);
      expect(calls.map(([e]) => e)).toEqual([thrown]);
      await server.close();
      server = undefined;
    }
  });

  it('a handler writing a header with CR/LF becomes a 500, not a split response', async () => {
    server = await listen(
      wardListener(
        [],
        (_req, res) => {
          res.setHeader('x-evil', 'a\r\nSet-Cookie: owned=1');
          res.end('x');
        },
        { onError: () => {} },
      ),
    );
    const res = await request(server.url);
    expect(res.status).toBe(500);
    expect(res.headers['set-cookie']).toBeUndefined();
  });
});
