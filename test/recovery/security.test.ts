/**
 * security: hostile inputs against recovery() — a flood of failures with
 * reporters that hang and reject (exactly one answer each, no unhandled
 * rejection, no leaked timer), secrets that must never reach a log line,
 * values that try to break the JSON line, oversized throws, and a chain that
 * froze its own state.
 */
import { Agent } from 'node:http';
import { HttpError, type Middleware } from '@ward/core';
import { type TestServer, listen, request } from '@ward/core/testing';
import { Engine } from '@ward/engine';
import { type RecoveryOptions, jsonReporter, recovery } from '@ward/recovery';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { kindCounts, recorder, reporterFailures } from './http.js';

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

const PROBLEM_500 = '{"type":"urn:ward:problem:internal-error","title":"Internal Server Error","status":500,"code":"INTERNAL_ERROR"}';
const PROBLEM_503 = '{"type":"urn:ward:problem:service-unavailable","title":"Service Unavailable","status":503,"code":"SERVICE_UNAVAILABLE"}';

/** An engine whose every request fails as `fail` says, behind `before` and recovery. */
async function failingApp(options: RecoveryOptions, fail: Middleware, before: Middleware[] = []): Promise<string> {
  const engine = new Engine({ onError: () => {} });
  engine.use(...before, recovery(options), fail);
  const server = await listen(engine.handler);
  servers.push(server);
  return server.url;
}

const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('security: hostile inputs', () => {
  it('1 000 concurrent failures of every kind with reporters that hang, reject and throw: exactly one correct answer each, every failure counted, no timer left', async () => {
    const timersBefore = timers();
    const registry = new Registry();
    let reached = 0;
    const url = await failingApp(
      {
        registry,
        onError: [
          () => new Promise<void>(() => {}),
          () => Promise.reject(new Error('reporter rejected')),
          () => {
            throw new Error('reporter threw');
          },
          () => void (reached += 1),
        ],
      },
      function fail(ctx) {
        const i = Number(ctx.req.query.get('i'));
        switch (i % 4) {
          case 0:
            throw new Error(`error ${i}`);
          case 1:
            throw `string ${i}`;
          case 2:
            throw null;
          default:
            throw new HttpError(503);
        }
      },
    );
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    try {
      const responses = await Promise.all(Array.from({ length: 1000 }, (_, i) => request(`${url}/any?i=${i}`, { agent })));
      responses.forEach((res, i) => {
        const expected = i % 4 === 3 ? [503, PROBLEM_503] : [500, PROBLEM_500];
        expect([res.status, res.text]).toEqual(expected);
      });
    } finally {
      agent.destroy();
    }
    expect(reached).toBe(1000);
    expect(await kindCounts(registry)).toEqual({ error: 250, non_error: 500, http_error: 250 });
    expect(await reporterFailures(registry)).toBe(2000);
    await servers.pop()!.close();
    expect(timers()).toBeLessThanOrEqual(timersBefore);
  });

  it('credentials in headers and the query never reach the JSON log line, whatever their case', async () => {
    const lines: string[] = [];
    const logger = { error: (record: Record<string, unknown>) => void lines.push(JSON.stringify(record)) };
    const url = await failingApp({ registry: new Registry(), onError: jsonReporter(logger), redactHeaders: ['x-session'] }, () => {
      throw new Error('fail');
    });
    await request(`${url}/reset/confirm?token=SECRET-Q1&password=SECRET-Q2&api_key=SECRET-Q3`, {
      headers: [
        'Authorization', 'Bearer SECRET-H1',
        'COOKIE', 'sid=SECRET-H2; theme=dark',
        'Proxy-Authorization', 'Basic SECRET-H3',
        'X-API-KEY', 'SECRET-H4',
        'X-Session', 'SECRET-H5',
        'Set-Cookie', 'SECRET-H6=1',
      ],
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/SECRET/);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      path: '/reset/confirm',
      headers: {
        authorization: '[redacted]',
        cookie: '[redacted]',
        'proxy-authorization': '[redacted]',
        'x-api-key': '[redacted]',
        'x-session': '[redacted]',
        'set-cookie': '[redacted]',
      },
    });
  });

  it('header values and paths built to break the JSON line stay inside their strings', async () => {
    const { reports, onError } = recorder();
    const lines: string[] = [];
    const url = await failingApp(
      { registry: new Registry(), onError: [onError, jsonReporter({ error: (record) => void lines.push(JSON.stringify(record)) })] },
      () => {
        throw new Error('x", "injected": true, "y": "');
      },
    );
    const hostile = '"}, {"level":"info","msg":"forged"} \\ \u00e9';
    await request(`${url}/a%0d%0aSet-Cookie:%20x=1/%22quote%22`, { headers: { 'user-agent': hostile } });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.includes('\n')).toBe(false);
    const record = JSON.parse(lines[0]!) as { path: string; headers: Record<string, string>; error: { message: string }; injected?: unknown; level?: unknown };
    expect(record.path).toBe('/a%0d%0aSet-Cookie:%20x=1/%22quote%22');
    expect(record.headers['user-agent']).toBe(hostile);
    expect(record.error.message).toBe('x", "injected": true, "y": "');
    expect([record.injected, record.level]).toEqual([undefined, undefined]);
    expect(reports[0]!.path).toBe('/a%0d%0aSet-Cookie:%20x=1/%22quote%22');
  });

  it('a 1 MB thrown string is answered 500 and reported with its message capped', async () => {
    const { reports, onError } = recorder();
    const url = await failingApp({ registry: new Registry(), onError }, () => {
      throw 'x'.repeat(1024 * 1024);
    });
    const res = await request(`${url}/big`);
    expect([res.status, res.text]).toEqual([500, PROBLEM_500]);
    expect(reports[0]!.message).toBe(`Non-error value thrown: "${'x'.repeat(1000)}…"`);
  });

  it('a chain that froze ctx.state still gets its 500 and its report', async () => {
    const { reports, onError } = recorder();
    const freeze: Middleware = function freeze(ctx, next) {
      ctx.state.requestId = 'frozen-1';
      Object.freeze(ctx.state);
      return next();
    };
    const url = await failingApp({ registry: new Registry(), onError }, () => {
      throw new Error('under ice');
    }, [freeze]);
    const res = await request(`${url}/x`);
    expect([res.status, res.json()]).toEqual([500, { ...JSON.parse(PROBLEM_500), request_id: 'frozen-1' }]);
    expect(reports.map((r) => [r.message, r.requestId])).toEqual([['under ice', 'frozen-1']]);
  });

  it('an HttpError that tries to inject a header through CRLF never sends it', async () => {
    const { reports, onError } = recorder();
    const url = await failingApp({ registry: new Registry(), onError }, () => {
      throw new HttpError(500, { headers: { 'x-next': 'a\r\nSet-Cookie: session=attacker' } });
    });
    const res = await request(`${url}/x`);
    expect([res.status, res.headers['set-cookie'], res.headers['x-next'], res.text]).toEqual([500, undefined, undefined, PROBLEM_500]);
    expect(reports.map((r) => [r.kind, r.status, r.code])).toEqual([['http_error', 500, 'INTERNAL_ERROR']]);
  });
});
