/**
 * One response (rule 4), streaming (rule 3) and client abort on Express:
 * writes after ward answered are dropped without crashing or cutting the
 * keep-alive connection; res.write/pipe streams pass through; a client that
 * leaves aborts ctx.signal.
 */
import http from 'node:http';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { HttpError } from '@ward/core';
import { abortAfter, deferred, keepAliveAgent, request } from '@ward/core/testing';
import { ward } from '@ward/express';
import type { ErrorRequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import { serve, VERSIONS } from './helpers.js';

/** GETs `url` and reports each chunk as it arrives. */
function stream(url: string, onChunk: (chunk: string) => void): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          onChunk(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe.each(VERSIONS)('%s', (_name, express) => {
  describe('late writes after ward answered', () => {
    it('are dropped silently; the keep-alive connection serves the next request', async () => {
      const started = deferred();
      const release = deferred();
      const sendFileDone = deferred<unknown>();
      const lateError = new Error('late failure');
      const lateErrors: unknown[] = [];
      const lateReported = deferred();
      const userCalls: unknown[] = [];
      const app = express();
      app.use(
        ward(
          [
            async (ctx, next) => {
              if (ctx.req.path !== '/slow') return next();
              // Like a timeout: let the handler run, answer without waiting for it.
              void next();
              await started.promise;
              ctx.problem(new HttpError(503, { code: 'TIMED_OUT' }));
            },
          ],
          {
            onLateError: (error) => {
              lateErrors.push(error);
              lateReported.resolve();
            },
          },
        ),
      );
      app.get('/slow', async (_req, res, next) => {
        started.resolve();
        await release.promise;
        res.status(200);
        res.set('x-late', 'yes');
        res.setHeader('x-late-raw', 'yes');
        res.json({ late: true });
        res.send('again');
        res.redirect('/elsewhere');
        res.write('chunk');
        res.end('end');
        res.sendFile(fileURLToPath(import.meta.url), (error) => sendFileDone.resolve(error));
        await sendFileDone.promise;
        next(lateError);
      });
      app.get('/next', (_req, res) => res.send('second'));
      app.use(((error, _req, res, _next) => {
        userCalls.push(error);
        res.status(500).send('user handler');
      }) as ErrorRequestHandler);
      const { url } = await serve(app);
      const agent = keepAliveAgent();
      try {
        const first = await request(`${url}/slow`, { agent });
        expect(first.status).toBe(503);
        expect(first.headers['content-type']).toBe('application/problem+json');
        expect(first.headers['x-late']).toBeUndefined();
        expect(first.json()).toEqual({
          type: 'urn:ward:problem:timed-out',
          title: 'Service Unavailable',
          status: 503,
          code: 'TIMED_OUT',
        });
        release.resolve();
        await lateReported.promise;
        expect(lateErrors).toEqual([lateError]);
        expect(userCalls).toHaveLength(0);
        const second = await request(`${url}/next`, { agent });
        expect(second.status).toBe(200);
        expect(second.text).toBe('second');
        expect(second.reusedSocket).toBe(true);
      } finally {
        agent.destroy();
      }
    });

    it('an error thrown by the handler after ward answered does not reach finalhandler or cut the connection', async () => {
      const started = deferred();
      const release = deferred();
      const lateReported = deferred<unknown>();
      const boom = new Error('thrown late');
      const app = express();
      app.use(
        ward(
          [
            async (ctx, next) => {
              if (ctx.req.path !== '/slow') return next();
              void next();
              await started.promise;
              ctx.text(503, 'gave up');
            },
          ],
          { onLateError: (error) => lateReported.resolve(error) },
        ),
      );
      app.get('/slow', (_req, _res, next) => {
        started.resolve();
        // Express 4 does not catch async throws; a callback that throws into next() is the portable form.
        void release.promise.then(() => {
          try {
            throw boom;
          } catch (error) {
            next(error);
          }
        });
      });
      app.get('/next', (_req, res) => res.send('second'));
      const { url } = await serve(app);
      const agent = keepAliveAgent();
      try {
        const first = await request(`${url}/slow`, { agent });
        expect(first.status).toBe(503);
        expect(first.text).toBe('gave up');
        release.resolve();
        expect(await lateReported.promise).toBe(boom);
        const second = await request(`${url}/next`, { agent });
        expect(second.text).toBe('second');
        expect(second.reusedSocket).toBe(true);
      } finally {
        agent.destroy();
      }
    });
  });

  describe('streaming', () => {
    it('res.write chunks over several ticks pass through; committed is true after next()', async () => {
      const firstArrived = deferred();
      const after = deferred<unknown[]>();
      const app = express();
      app.use(
        ward([
          async (ctx, next) => {
            await next();
            const seen = [ctx.res.committed, ctx.res.body];
            // Too late to change: headers are on the wire.
            ctx.res.status = 500;
            ctx.res.setHeader('x-too-late', '1');
            after.resolve(seen);
          },
        ]),
      );
      app.get('/sse', async (_req, res) => {
        res.setHeader('content-type', 'text/event-stream');
        res.write('data: one\n\n');
        // Only continues once the client has the first chunk: it was not held back.
        await firstArrived.promise;
        res.write('data: two\n\n');
        res.end('data: three\n\n');
      });
      const { url } = await serve(app);
      const chunks: string[] = [];
      const res = await stream(`${url}/sse`, (chunk) => {
        chunks.push(chunk);
        firstArrived.resolve();
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream');
      expect(res.headers['transfer-encoding']).toBe('chunked');
      expect(res.headers['x-too-late']).toBeUndefined();
      expect(chunks[0]).toBe('data: one\n\n');
      expect(res.body).toBe('data: one\n\ndata: two\n\ndata: three\n\n');
      expect(await after.promise).toEqual([true, undefined]);
    });

    it('stream.pipe(res) passes through', async () => {
      const firstArrived = deferred();
      const committed: boolean[] = [];
      const app = express();
      app.use(
        ward([
          async (ctx, next) => {
            await next();
            committed.push(ctx.res.committed);
          },
        ]),
      );
      app.get('/pipe', (_req, res) => {
        res.type('text/plain');
        Readable.from(
          (async function* () {
            yield 'alpha,';
            await firstArrived.promise;
            yield 'beta';
          })(),
        ).pipe(res);
      });
      const { url } = await serve(app);
      const res = await stream(`${url}/pipe`, () => firstArrived.resolve());
      expect(res.status).toBe(200);
      expect(res.body).toBe('alpha,beta');
      expect(committed).toEqual([true]);
    });
  });

  describe('client abort', () => {
    it('aborts ctx.signal with CLIENT_CLOSED', async () => {
      const started = deferred();
      const reason = deferred<unknown>();
      const app = express();
      app.use(
        ward([
          async (ctx, next) => {
            ctx.signal.addEventListener('abort', () => reason.resolve(ctx.signal.reason), { once: true });
            await next();
          },
        ]),
      );
      app.get('/hang', () => {
        // Never answers: the client leaves first.
        started.resolve();
      });
      const { url } = await serve(app);
      const exchange = await abortAfter(`${url}/hang`, { after: started.promise });
      expect(exchange.status).toBeUndefined();
      const why = (await reason.promise) as { code?: string; name?: string };
      expect(why.code).toBe('CLIENT_CLOSED');
      expect(why.name).toBe('ClientClosedError');
    });
  });
});
