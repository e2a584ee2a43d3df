/**
 * jsonReporter(): one JSON object per report — to a pino-compatible logger's
 * `error(object, message)`, or as one line on stderr (tested in a child
 * process, where stderr is a real pipe) — with snake_case keys, redacted
 * headers, and nothing that breaks the line.
 */
import { Writable } from 'node:stream';
import { HttpError } from '@ward/core';
import { type TestServer, listen, request } from '@ward/core/testing';
import { Engine } from '@ward/engine';
import { type ProcessErrorReport, type RecoveryReport, jsonReporter, recovery } from '@ward/recovery';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonLines, runModule } from './child.js';

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

const FIXED_TIME = Date.UTC(2026, 6, 1, 12, 0, 0, 5);

const REQUEST_REPORT: RecoveryReport = {
  source: 'request',
  kind: 'error',
  error: new Error('db down'),
  name: 'Error',
  message: 'db down',
  stack: 'Error: db down\n    at query (db.js:1:1)',
  status: 500,
  code: 'INTERNAL_ERROR',
  requestId: 'rid-9',
  traceId: undefined,
  method: 'POST',
  route: '/orders/:id',
  path: '/orders/12',
  userId: 'u-3',
  headers: { authorization: '[redacted]', accept: 'application/json' },
  committed: false,
  time: '2026-07-01T12:00:00.005Z',
};

const REQUEST_RECORD = {
  source: 'request',
  time: '2026-07-01T12:00:00.005Z',
  request_id: 'rid-9',
  method: 'POST',
  route: '/orders/:id',
  path: '/orders/12',
  user_id: 'u-3',
  status: 500,
  code: 'INTERNAL_ERROR',
  committed: false,
  error: { kind: 'error', name: 'Error', message: 'db down', stack: 'Error: db down\n    at query (db.js:1:1)' },
  headers: { authorization: '[redacted]', accept: 'application/json' },
};

describe('to a logger', () => {
  it('calls logger.error(record, message) once per report, with snake_case keys', () => {
    const calls: unknown[][] = [];
    const report = jsonReporter({ error: (...args: unknown[]) => void calls.push(args) });
    report(REQUEST_REPORT);
    report({ ...REQUEST_REPORT, committed: true, status: 200 });
    const processReport: ProcessErrorReport = {
      source: 'unhandledRejection',
      kind: 'non_error',
      error: new Error('x'),
      name: 'ThrownValueError',
      message: 'Non-error value thrown: "nope"',
      stack: undefined,
      time: '2026-07-01T12:00:00.005Z',
      fatal: true,
    };
    report(processReport);
    expect(calls).toEqual([
      [{ ...REQUEST_RECORD, trace_id: undefined }, 'request failed'],
      [{ ...REQUEST_RECORD, trace_id: undefined, committed: true, status: 200 }, 'request failed after the response started; connection cut'],
      [
        {
          source: 'unhandledRejection',
          time: '2026-07-01T12:00:00.005Z',
          fatal: true,
          error: { kind: 'non_error', name: 'ThrownValueError', message: 'Non-error value thrown: "nope"', stack: undefined },
        },
        'unhandled promise rejection',
      ],
    ]);
  });

  it('works with a real pino logger, end to end through recovery on the engine', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = pino({ base: undefined, timestamp: false }, sink);
    const engine = new Engine({ onError: () => {} });
    engine.use(
      (ctx, next) => {
        ctx.state.requestId = 'rid-pino';
        return next();
      },
      recovery({ registry: new Registry(), onError: jsonReporter(logger), now: () => FIXED_TIME, maxStackChars: 0 }),
    );
    engine.get('/pay/:id', () => {
      throw new HttpError(502, { code: 'PAYMENT_GATEWAY', detail: 'gateway said no' });
    });
    const server = await listen(engine.handler);
    servers.push(server);

    const res = await request(`${server.url}/pay/7?card=4111111111111111`, { headers: { cookie: 'sid=abc' } });

    expect(res.status).toBe(502);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      level: 50,
      msg: 'request failed',
      source: 'request',
      time: '2026-07-01T12:00:00.005Z',
      request_id: 'rid-pino',
      method: 'GET',
      route: '/pay/:id',
      path: '/pay/7',
      status: 502,
      code: 'PAYMENT_GATEWAY',
      committed: false,
      error: { kind: 'http_error', name: 'HttpError', message: 'gateway said no' },
      headers: { host: expect.any(String), connection: 'close', cookie: '[redacted]' },
    });
    expect(lines[0]).not.toContain('4111');
  });
});

describe('to stderr (the default)', () => {
  it('writes exactly one JSON line per report, with level, time and msg first', async () => {
    const report = JSON.stringify({ ...REQUEST_REPORT, error: undefined, message: 'line one\nline two "quoted"' });
    const { code, stdout, stderr } = await runModule(`
      import { jsonReporter } from '@ward/recovery';
      const report = ${report};
      const write = jsonReporter();
      write(report);
      write({ ...report, source: 'uncaughtException', fatal: false });
    `);
    expect([code, stdout]).toEqual([0, '']);
    expect(stderr.split('\n')).toHaveLength(3); // two lines and the final newline
    const [first, second] = jsonLines(stderr);
    expect(Object.keys(first!).slice(0, 3)).toEqual(['level', 'time', 'msg']);
    expect(first).toEqual({
      level: 'error',
      msg: 'request failed',
      ...REQUEST_RECORD,
      error: { ...REQUEST_RECORD.error, message: 'line one\nline two "quoted"' },
    });
    expect(second).toEqual({
      level: 'error',
      time: '2026-07-01T12:00:00.005Z',
      msg: 'uncaught exception',
      source: 'uncaughtException',
      fatal: false,
      error: { kind: 'error', name: 'Error', message: 'line one\nline two "quoted"', stack: 'Error: db down\n    at query (db.js:1:1)' },
    });
  });

  it('is what recovery() uses when onError is not given', async () => {
    const { code, stderr } = await runModule(`
      import { Engine } from '@ward/engine';
      import { recovery } from '@ward/recovery';
      import { listen, request } from '@ward/core/testing';
      const engine = new Engine();
      engine.use(recovery());
      engine.get('/x', () => { throw new Error('default reporter'); });
      const server = await listen(engine.handler);
      const res = await request(server.url + '/x');
      await server.close();
      if (res.status !== 500) process.exit(3);
    `);
    expect(code).toBe(0);
    const lines = jsonLines(stderr);
    expect(lines.map((line) => [line.msg, line.path, (line.error as { message: string }).message])).toEqual([['request failed', '/x', 'default reporter']]);
  });
});
