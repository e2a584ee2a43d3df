/**
 * The examples' own small middleware, `serverTiming()`, on the engine: the
 * header is set after the handler ran (deferred commit), with the injected
 * clock, and left alone once a response streams.
 */
import { describe, it, expect } from 'vitest';
import { Readable } from 'node:stream';
import { Engine } from '@ward/engine';
import { describeMiddleware } from '@ward/core';
import { request } from '@ward/core/testing';
import { serverTiming } from '../../examples/server/middleware/server-timing.js';

async function serve(engine: Engine): Promise<{ url: string; close(): Promise<void> }> {
  const server = await engine.listen({ port: 0, host: '127.0.0.1' });
  return { url: server.url, close: () => server.shutdown({ timeoutMs: 1000 }) };
}

describe('serverTiming()', () => {
  it('adds Server-Timing after the handler, measured with the injected clock', async () => {
    const times = [1000, 1012.345];
    let calls = 0;
    const engine = new Engine();
    engine.use(serverTiming({ now: () => times[calls++]! }));
    engine.get('/x', (ctx) => ctx.text(200, 'ok'));
    const app = await serve(engine);
    try {
      const res = await request(`${app.url}/x`);
      expect(res.status).toBe(200);
      expect(res.headers['server-timing']).toBe('app;dur=12.3');
      expect(calls).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('uses the metric name given, and keeps Server-Timing entries set before', async () => {
    const engine = new Engine();
    engine.use(serverTiming({ metric: 'api', now: () => 5 }));
    engine.get('/x', (ctx) => {
      ctx.res.setHeader('server-timing', 'db;dur=3');
      ctx.text(200, 'ok');
    });
    const app = await serve(engine);
    try {
      expect((await request(`${app.url}/x`)).headers['server-timing']).toBe('db;dur=3, api;dur=0.0');
    } finally {
      await app.close();
    }
  });

  it('times error answers too', async () => {
    const engine = new Engine({ onError: () => {} });
    engine.use(serverTiming({ now: () => 0 }));
    engine.get('/boom', () => {
      throw new Error('boom');
    });
    const app = await serve(engine);
    try {
      const res = await request(`${app.url}/boom`);
      expect(res.status).toBe(500);
      expect(res.headers['server-timing']).toBe('app;dur=0.0');
    } finally {
      await app.close();
    }
  });

  it('leaves a streamed response alone (its headers are already on the wire)', async () => {
    const engine = new Engine();
    engine.use(serverTiming({ now: () => 0 }));
    engine.get('/stream', (ctx) => ctx.stream(Readable.from(['a', 'b']), { contentType: 'text/plain' }));
    const app = await serve(engine);
    try {
      const res = await request(`${app.url}/stream`);
      expect(res.status).toBe(200);
      expect(res.text).toBe('ab');
      expect(res.headers['server-timing']).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('describes itself for chain audits', () => {
    expect(describeMiddleware(serverTiming({ metric: 'api' }))).toEqual({ name: 'serverTiming', options: { metric: 'api' } });
  });

  describe('security: hostile options', () => {
    it.each([
      [{ metric: 'app;dur=0, evil' }, 'serverTiming({ metric }) must be an HTTP token such as \'app\', got "app;dur=0, evil"'],
      [{ metric: 'a\r\nSet-Cookie: x=1' }, 'serverTiming({ metric }) must be an HTTP token such as \'app\', got "a\\r\\nSet-Cookie: x=1"'],
      [{ metric: '' }, 'serverTiming({ metric }) must be an HTTP token such as \'app\', got ""'],
      [{ now: 'soon' }, 'serverTiming({ now }) must be a function returning milliseconds, got string'],
      [null, 'serverTiming(options): options must be an object, got null'],
    ])('%j is refused with a TypeError', (options, message) => {
      expect(() => serverTiming(options as never)).toThrow(TypeError);
      expect(() => serverTiming(options as never)).toThrow(message);
    });

    it('registering the factory without calling it fails at start', () => {
      const engine = new Engine();
      expect(() => engine.use(serverTiming as never)).toThrow('is the factory "serverTiming", not a middleware. Call it: serverTiming({ … })');
    });
  });
});
