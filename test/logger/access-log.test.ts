/**
 * accessLog() through real HTTP on the ward engine: the exact record,
 * levels, bytes, errors, options and their validation.
 */
import { describeMiddleware } from '@ward/core';
import { Engine } from '@ward/engine';
import { abortAfter, deferred, once, request } from '@ward/core/testing';
import { accessLog } from '@ward/logger';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLogger, asUser, engineApp, ids, metricValue, steppingClock } from './helpers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function serve(...args: Parameters<typeof engineApp>): Promise<string> {
  const app = await engineApp(...args);
  closers.push(app.close);
  return app.url;
}

describe('accessLog: the record', () => {
  it('writes exactly one record per request, with every field, after the response is decided', async () => {
    const logger = new MemoryLogger();
    const registry = new Registry();
    const url = await serve([ids, asUser({ id: 'u-42' }), accessLog({ logger, now: steppingClock(12.3456), metrics: { registry } })]);
    const res = await request(`${url}/users/7?page=2`, { headers: { 'user-agent': 'curl/8.5.0' } });
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"id":"7"}');
    expect(logger.entries).toEqual([
      {
        level: 'info',
        message: 'request completed',
        record: {
          log: 'access',
          request_id: 'req-1',
          trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
          method: 'GET',
          route: '/users/:id',
          path: '/users/7',
          status: 200,
          duration_ms: 12.346,
          bytes: 10,
          ip: '127.0.0.1',
          user_id: 'u-42',
          user_agent: 'curl/8.5.0',
          slow: false,
          aborted: false,
        },
      },
    ]);
    // Field order is part of the format (readable lines, stable columns).
    expect(Object.keys(logger.records[0]!)).toEqual([
      'log', 'request_id', 'trace_id', 'method', 'route', 'path', 'status', 'duration_ms', 'bytes', 'ip', 'user_id', 'user_agent', 'slow', 'aborted',
    ]);
    expect(await metricValue(registry, 'ward_logger_errors_total{log="access",stage="write"}')).toBeUndefined();
  });

  it('unknown values are null, never missing: no ids, no user, no user agent, no route', async () => {
    const logger = new MemoryLogger();
    const url = await serve([accessLog({ logger, now: steppingClock(1), metrics: { registry: new Registry() } })]);
    const res = await request(`${url}/nope`);
    expect(res.status).toBe(404);
    expect(logger.entries).toHaveLength(1);
    expect(logger.entries[0]!.level).toBe('warn');
    expect(logger.records[0]).toEqual({
      log: 'access',
      request_id: null,
      trace_id: null,
      method: 'GET',
      route: null,
      path: '/nope',
      status: 404,
      duration_ms: 1,
      bytes: res.body.byteLength,
      ip: '127.0.0.1',
      user_id: null,
      user_agent: null,
      slow: false,
      aborted: false,
    });
  });

  it('levels by status: info below 400, warn for 4xx, error for 5xx', async () => {
    const logger = new MemoryLogger();
    const url = await serve([accessLog({ logger, metrics: { registry: new Registry() } })], (engine) => {
      engine.get('/moved', (ctx) => ctx.respond(301, null, { location: '/x' }));
      engine.get('/teapot', (ctx) => ctx.text(418, 'no'));
      engine.get('/down', (ctx) => ctx.text(503, 'down'));
    });
    for (const path of ['/moved', '/teapot', '/down']) await request(url + path);
    expect(logger.entries.map((e) => [e.record.status, e.level, e.message])).toEqual([
      [301, 'info', 'request completed'],
      [418, 'warn', 'request completed'],
      [503, 'error', 'request completed'],
    ]);
  });

  it('bytes: a text body in UTF-8 bytes, a binary body, 0 for 204 and HEAD, null for a stream without a length', async () => {
    const logger = new MemoryLogger();
    const url = await serve([accessLog({ logger, metrics: { registry: new Registry() } })]);
    expect((await request(`${url}/text`)).headers['content-length']).toBe('6');
    await request(`${url}/bytes`);
    await request(`${url}/users/1`, { method: 'DELETE' });
    const head = await request(`${url}/text`, { method: 'HEAD' });
    expect(head.headers['content-length']).toBe('6');
    const stream = await request(`${url}/stream`);
    expect(stream.text).toBe('one\ntwo\n');
    await logger.waitFor(5);
    expect(logger.records.map((r) => [r.method, r.path, r.status, r.bytes])).toEqual([
      ['GET', '/text', 200, 6],
      ['GET', '/bytes', 200, 3],
      ['DELETE', '/users/1', 204, 0],
      ['HEAD', '/text', 200, 0],
      ['GET', '/stream', 200, null],
    ]);
  });

  it('a stream is timed until it ended', async () => {
    const logger = new MemoryLogger();
    const midway = deferred();
    const release = deferred();
    const url = await serve([accessLog({ logger, now: steppingClock(5), metrics: { registry: new Registry() } })], (engine) => {
      engine.get('/held', (ctx) =>
        ctx.stream(
          (async function* held() {
            yield 'a';
            midway.resolve();
            await release.promise;
            yield 'b';
          })(),
        ),
      );
    });
    const reply = request(`${url}/held`);
    await midway.promise;
    expect(logger.entries).toHaveLength(0);
    release.resolve();
    expect((await reply).text).toBe('ab');
    await logger.waitFor(1);
    expect(logger.records[0]).toMatchObject({ route: '/held', status: 200, bytes: null, aborted: false, duration_ms: 5 });
  });
});

describe('accessLog: errors through the logger', () => {
  it('a rejected next() is logged at error with name and code (no message, no stack) and rethrown unchanged', async () => {
    const logger = new MemoryLogger();
    const seen: unknown[] = [];
    const thrown: unknown[] = [];
    const url = await serve(
      [
        async function outer(_ctx, next) {
          try {
            await next();
          } catch (error) {
            seen.push(error);
            throw error;
          }
        },
        accessLog({ logger, metrics: { registry: new Registry() } }),
        async function inner(_ctx, next) {
          try {
            await next();
          } catch (error) {
            thrown.push(error);
            throw error;
          }
        },
      ],
    );
    const res = await request(`${url}/boom`);
    expect(res.status).toBe(500);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(thrown[0]);
    expect(logger.entries).toHaveLength(1);
    expect(logger.entries[0]!.level).toBe('error');
    expect(logger.entries[0]!.message).toBe('request failed');
    expect(logger.records[0]).toMatchObject({ route: '/boom', status: 500, bytes: null, error: { name: 'Error', code: null } });
    expect(JSON.stringify(logger.records[0])).not.toContain('secret detail');
  });

  it('an HttpError is logged at its own status and code, at warn for 4xx', async () => {
    const logger = new MemoryLogger();
    const url = await serve([accessLog({ logger, metrics: { registry: new Registry() } })]);
    expect((await request(`${url}/limited`)).status).toBe(429);
    expect(logger.entries[0]!.level).toBe('warn');
    expect(logger.records[0]).toMatchObject({ status: 429, error: { name: 'HttpError', code: 'RATE_LIMITED' } });
  });

  it('an error with a 4xx/5xx status or statusCode (http-errors style) keeps it; other values are 500', async () => {
    const logger = new MemoryLogger();
    const url = await serve([accessLog({ logger, metrics: { registry: new Registry() } })], (engine) => {
      engine.get('/status', () => {
        throw Object.assign(new Error('gone'), { status: 410, code: 'GONE' });
      });
      engine.get('/status-code', () => {
        throw Object.assign(new Error('x'), { statusCode: 502 });
      });
      engine.get('/bad-status', () => {
        throw Object.assign(new Error('x'), { status: 302 });
      });
      engine.get('/numeric-code', () => {
        throw Object.assign(new Error('x'), { code: 42 });
      });
    });
    for (const path of ['/status', '/status-code', '/bad-status', '/numeric-code']) await request(url + path);
    expect(logger.records.map((r) => [r.status, r.error])).toEqual([
      [410, { name: 'Error', code: 'GONE' }],
      [502, { name: 'Error', code: null }],
      [500, { name: 'Error', code: null }],
      [500, { name: 'Error', code: '42' }],
    ]);
  });

  it('errorDetails: true adds the message and the stack', async () => {
    const logger = new MemoryLogger();
    const url = await serve([accessLog({ logger, errorDetails: true, metrics: { registry: new Registry() } })]);
    await request(`${url}/boom`);
    const error = logger.records[0]!.error as { message: string; stack: string };
    expect(error.message).toBe('secret detail in the message');
    expect(error.stack.startsWith('Error: secret detail in the message\\x0a    at ')).toBe(true);
  });

  it('a client that leaves before the answer is logged as 499 aborted, not 500', async () => {
    const logger = new MemoryLogger();
    const started = deferred();
    const url = await serve([accessLog({ logger, metrics: { registry: new Registry() } })], (engine) => {
      engine.get('/slow', async (ctx) => {
        started.resolve();
        // Answer only once the server saw the connection close.
        await once(ctx.raw.res, 'close');
        ctx.text(200, 'late');
      });
    });
    await abortAfter(`${url}/slow`, { after: started.promise });
    await logger.waitFor(1);
    expect(logger.entries[0]!.level).toBe('warn');
    expect(logger.records[0]).toMatchObject({ route: '/slow', status: 499, aborted: true, bytes: 0 });
  });
});

describe('accessLog: options', () => {
  it('slowMs: at or past the threshold → warn with slow: true; below → info', async () => {
    const logger = new MemoryLogger();
    const fast = accessLog({ logger, slowMs: 100, now: steppingClock(99.9994), metrics: { registry: new Registry() } });
    const slow = accessLog({ logger, slowMs: 100, now: steppingClock(100), metrics: { registry: new Registry() } });
    const url = await serve([async (ctx, next) => (ctx.req.header('x-slow') === '1' ? slow(ctx, next) : fast(ctx, next))]);
    await request(`${url}/users/1`);
    await request(`${url}/users/1`, { headers: { 'x-slow': '1' } });
    await request(`${url}/boom`, { headers: { 'x-slow': '1' } });
    expect(logger.entries.map((e) => [e.level, e.record.duration_ms, e.record.slow, e.record.status])).toEqual([
      ['info', 99.999, false, 200],
      ['warn', 100, true, 200],
      ['error', 100, true, 500],
    ]);
  });

  it('a clock that goes backwards logs 0 ms', async () => {
    const logger = new MemoryLogger();
    const url = await serve([accessLog({ logger, now: steppingClock(-5), metrics: { registry: new Registry() } })]);
    await request(`${url}/users/1`);
    expect(logger.records[0]!.duration_ms).toBe(0);
  });

  it('query: true logs the query re-encoded with secret values redacted; redactQuery adds keys', async () => {
    const logger = new MemoryLogger();
    const url = await serve([accessLog({ logger, query: true, redactQuery: ['Email'], metrics: { registry: new Registry() } })]);
    await request(`${url}/users/1?page=2&access_token=abc&EMAIL=a%40b.c&q=a+b&X-Amz-Signature=f00&code=123&empty`);
    await request(`${url}/users/1`);
    expect(logger.records.map((r) => r.query)).toEqual([
      'page=2&access_token=[redacted]&EMAIL=[redacted]&q=a%20b&X-Amz-Signature=[redacted]&code=[redacted]&empty=',
      null,
    ]);
    expect(logger.records[0]!.path).toBe('/users/1');
  });

  it('the query is never logged by default, not even in path', async () => {
    const logger = new MemoryLogger();
    const url = await serve([accessLog({ logger, metrics: { registry: new Registry() } })]);
    await request(`${url}/users/1?token=abc`);
    expect(logger.records[0]!.path).toBe('/users/1');
    expect('query' in logger.records[0]!).toBe(false);
    expect(JSON.stringify(logger.records)).not.toContain('abc');
  });

  it('path: false logs the route only', async () => {
    const logger = new MemoryLogger();
    const url = await serve([accessLog({ logger, path: false, metrics: { registry: new Registry() } })]);
    await request(`${url}/users/secret-reset-token`);
    expect(logger.records[0]).toMatchObject({ route: '/users/:id', path: null });
    expect(JSON.stringify(logger.records)).not.toContain('secret-reset-token');
  });

  it('headers and responseHeaders are opt-in; absent ones are null', async () => {
    const logger = new MemoryLogger();
    const url = await serve([
      accessLog({ logger, headers: ['X-Tenant', 'accept-language'], responseHeaders: ['content-type', 'x-none'], metrics: { registry: new Registry() } }),
    ]);
    await request(`${url}/users/1`, { headers: { 'x-tenant': 'acme', 'x-other': 'nope' } });
    expect(logger.records[0]!.headers).toEqual({ 'x-tenant': 'acme', 'accept-language': null });
    expect(logger.records[0]!.response_headers).toEqual({ 'content-type': 'application/json; charset=utf-8', 'x-none': null });
    expect(JSON.stringify(logger.records)).not.toContain('nope');
  });

  it('userId(ctx) replaces the default; numbers become strings; other values are null', async () => {
    const logger = new MemoryLogger();
    const values: unknown[] = ['alice', 7, Number.NaN, { id: 1 }, undefined];
    let i = 0;
    const url = await serve([accessLog({ logger, userId: () => values[i++] as string, metrics: { registry: new Registry() } })]);
    for (let n = 0; n < values.length; n++) await request(`${url}/users/1`);
    expect(logger.records.map((r) => r.user_id)).toEqual(['alice', '7', null, null, null]);
  });

  it('the default user id is ctx.state.user.id, read defensively', async () => {
    const logger = new MemoryLogger();
    const users: unknown[] = [{ id: 'bob' }, { id: 12 }, 'bob', null, { name: 'no id' }, { id: { nested: true } }];
    let i = 0;
    const url = await serve([
      async function setUser(ctx, next) {
        (ctx.state as { user?: unknown }).user = users[i++];
        await next();
      },
      accessLog({ logger, metrics: { registry: new Registry() } }),
    ]);
    for (let n = 0; n < users.length; n++) await request(`${url}/users/1`);
    expect(logger.records.map((r) => r.user_id)).toEqual(['bob', '12', null, null, null, null]);
  });

  it('a userId hook that throws logs null and is counted', async () => {
    const logger = new MemoryLogger();
    const registry = new Registry();
    const url = await serve([
      accessLog({
        logger,
        userId: () => {
          throw new Error('hook bug');
        },
        metrics: { registry },
      }),
    ]);
    expect((await request(`${url}/users/1`)).status).toBe(200);
    expect(logger.records[0]!.user_id).toBe(null);
    expect(await metricValue(registry, 'ward_logger_errors_total{log="access",stage="user_id"}')).toBe(1);
  });

  it('skip(ctx) drops records after next(); a skip that throws is counted and the request logged', async () => {
    const logger = new MemoryLogger();
    const registry = new Registry();
    const url = await serve([
      accessLog({
        logger,
        metrics: { registry },
        skip(ctx) {
          if (ctx.req.path === '/text') throw new Error('skip bug');
          return ctx.req.route === '/users/:id' && ctx.res.status === 200;
        },
      }),
    ]);
    await request(`${url}/users/1`);
    await request(`${url}/text`);
    await request(`${url}/nope`);
    expect(logger.records.map((r) => r.path)).toEqual(['/text', '/nope']);
    expect(await metricValue(registry, 'ward_logger_errors_total{log="access",stage="skip"}')).toBe(1);
  });

  it('maxFieldChars cuts long values and marks the cut with …', async () => {
    const logger = new MemoryLogger();
    const url = await serve([accessLog({ logger, maxFieldChars: 16, metrics: { registry: new Registry() } })]);
    await request(`${url}/users/${'x'.repeat(40)}`, { headers: { 'user-agent': 'y'.repeat(40) } });
    expect(logger.records[0]).toMatchObject({ path: `/users/${'x'.repeat(9)}…`, user_agent: `${'y'.repeat(16)}…` });
  });

  it('describes itself (rule 10) and refuses use without the call', () => {
    const logger = new MemoryLogger();
    const middleware = accessLog({ logger, slowMs: 250, headers: ['X-Tenant'], metrics: { registry: new Registry() } });
    expect(middleware.name).toBe('accessLog');
    expect(describeMiddleware(middleware)).toEqual({
      name: 'accessLog',
      options: {
        logger: '[MemoryLogger]',
        slowMs: 250,
        path: true,
        query: false,
        redactQuery: [],
        headers: ['x-tenant'],
        responseHeaders: [],
        redactHeaders: ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token'],
        errorDetails: false,
        maxFieldChars: 1024,
      },
    });
    expect(() => new Engine().use(accessLog as never)).toThrow('engine.use(): middleware[0] is the factory "accessLog", not a middleware. Call it: accessLog({ … })');
  });
});

describe('accessLog: option validation at configuration', () => {
  const registry = new Registry();
  const cases: [string, unknown, ErrorConstructor, string][] = [
    ['options', 'fast', TypeError, 'accessLog(options) must be an object, got "fast"'],
    ['logger', { logger: console.log }, TypeError, 'accessLog({ logger }) must have an info(record, message) method (pino-compatible), got the function log without it'],
    ['logger', { logger: { info() {}, warn() {} } }, TypeError, 'accessLog({ logger }) must have an error(record, message) method'],
    ['logger', { logger: null }, TypeError, 'accessLog({ logger }) must be a pino-compatible logger, got null'],
    ['slowMs', { slowMs: '1s' }, TypeError, 'accessLog({ slowMs }) must be a number of milliseconds such as 1000, got "1s"'],
    ['slowMs', { slowMs: -1 }, RangeError, 'accessLog({ slowMs }) must be a finite number ≥ 0, got -1'],
    ['slowMs', { slowMs: Number.POSITIVE_INFINITY }, RangeError, 'accessLog({ slowMs }) must be a finite number ≥ 0, got Infinity'],
    ['now', { now: 5 }, TypeError, 'accessLog({ now }) must be a function returning milliseconds, got 5'],
    ['query', { query: 'yes' }, TypeError, 'accessLog({ query }) must be true or false, got "yes"'],
    ['headers', { headers: 'x-a' }, TypeError, "accessLog({ headers }) must be an array of header names such as ['x-tenant'], got \"x-a\""],
    ['headers', { headers: ['x a'] }, RangeError, 'accessLog({ headers }): "x a" is not a valid header name (RFC 9110 token characters only)'],
    ['redactHeaders', { redactHeaders: [1] }, TypeError, 'accessLog({ redactHeaders }) must hold header names (strings), got 1'],
    ['redactQuery', { redactQuery: [''] }, TypeError, 'accessLog({ redactQuery }) must hold non-empty strings, got ""'],
    ['maxFieldChars', { maxFieldChars: 8 }, RangeError, 'accessLog({ maxFieldChars }) must be an integer of at least 16, got 8'],
    ['maxFieldChars', { maxFieldChars: 100.5 }, RangeError, 'accessLog({ maxFieldChars }) must be an integer of at least 16, got 100.5'],
    ['userId', { userId: 'id' }, TypeError, 'accessLog({ userId }) must be a function (ctx) => string | number | undefined, got "id"'],
    ['skip', { skip: true }, TypeError, 'accessLog({ skip }) must be a function (ctx) => boolean, got true'],
    ['metrics', { metrics: { registry: {} } }, TypeError, 'accessLog({ metrics }).registry must be a prom-client Registry'],
  ];
  it.each(cases)('%s: %o', (_name, options, type, message) => {
    const withRegistry = typeof options === 'object' && options !== null && !('metrics' in options) ? { ...options, metrics: { registry } } : options;
    expect(() => accessLog(withRegistry as never)).toThrow(type);
    expect(() => accessLog(withRegistry as never)).toThrow(message);
  });
});
