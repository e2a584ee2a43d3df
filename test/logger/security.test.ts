/**
 * security: what @ward/logger must withstand — log injection (CR/LF, C1
 * controls, Unicode separators, bidi overrides, unpaired surrogates),
 * oversized values, secrets in headers, query strings and bodies, hostile
 * thrown values, and a logger that throws, rejects or stalls.
 */
import { type Middleware } from '@ward/core';
import { request } from '@ward/core/testing';
import { accessLog, auditLog, jsonLinesLogger } from '@ward/logger';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLogger, asUser, engineApp, metricValue } from './helpers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function serve(...args: Parameters<typeof engineApp>): Promise<string> {
  const app = await engineApp(...args);
  closers.push(app.close);
  return app.url;
}

/**
 * A logger that escapes nothing (like a naive logfmt or console formatter):
 * `key=value` pairs joined by spaces, one '\n' per record. Whatever reaches
 * it raw could forge a line.
 */
class NaiveTextLogger {
  text = '';
  count = 0;
  info(record: object): void {
    this.#write(record);
  }
  warn(record: object): void {
    this.#write(record);
  }
  error(record: object): void {
    this.#write(record);
  }
  #write(record: object): void {
    this.count += 1;
    this.text += `${Object.entries(record)
      .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? Object.entries(v as object).map(([a, b]) => `${a}:${String(b)}`).join(',') : String(v)}`)
      .join(' ')}\n`;
  }
}

/** Every character some viewer treats as a line break, a terminal escape or a direction change. */
const BREAKERS = /[\r\n\u000b\u000c\u001b\u0085\u009b\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

describe('security: log injection', () => {
  it('CR/LF in decoded route parameters and query values cannot forge a line, in a naive text sink', async () => {
    const text = new NaiveTextLogger();
    const registry = new Registry();
    const url = await serve([
      accessLog({ logger: text, query: true, metrics: { registry } }),
      auditLog({ logger: text, methods: ['GET', 'DELETE'], metrics: { registry } }),
    ]);
    // %0d%0a in the path decodes to CR LF in the route parameter; the query value decodes too.
    const res = await request(`${url}/users/x%0d%0alog%3Daccess%20status%3D200%0a?q=a%0d%0aFAKE%3Dline`);
    expect(res.status).toBe(200);
    await request(`${url}/users/%E2%80%A8sep%C2%85nel`, { method: 'DELETE' });
    expect(text.count).toBe(4);
    const lines = text.text.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('');
    expect(BREAKERS.test(text.text.replace(/\n/g, ''))).toBe(false);
    // The audit record shows the decoded parameter with visible escapes.
    expect(lines[0]).toContain('params=id:x\\x0d\\x0alog=access status=200\\x0a ');
    // The access record keeps the raw path (undecoded) and a re-encoded query.
    expect(lines[1]).toContain('path=/users/x%0d%0alog%3Daccess%20status%3D200%0a ');
    expect(lines[1]).toContain('query=q=a%0D%0AFAKE%3Dline');
    expect(lines[2]).toContain('params=id:\\u2028sep\\x85nel ');
  });

  it('C1 controls (latin-1 bytes a client may send), DEL-range and non-UTF-8 bytes in the User-Agent are escaped; JSON lines stay one per request', async () => {
    const writes: string[] = [];
    const logger = jsonLinesLogger({ destination: { write: (chunk: string) => writes.push(chunk) }, sync: true });
    const url = await serve([accessLog({ logger, metrics: { registry: new Registry() } })]);
    // node's client sends these as single bytes 0x85 (NEL), 0x9b (CSI), 0xff, 0xfe.
    await request(`${url}/users/1`, { headers: { 'user-agent': 'a\x85b\x9b[31mred\xff\xfe' } });
    const output = writes.join('');
    expect(output.split('\n')).toHaveLength(2);
    expect(BREAKERS.test(output.slice(0, -1))).toBe(false);
    const record = JSON.parse(output) as { user_agent: string };
    expect(record.user_agent).toBe('a\\x85b\\x9b[31mred\u00ff\u00fe');
  });

  it('Unicode separators, bidi overrides, unpaired surrogates and NUL in a user id (from a token) are escaped', async () => {
    const logger = new MemoryLogger();
    const url = await serve([asUser({ id: 'ad\u2028min\u202Egnp.exe\uD800\u0000\t' }), accessLog({ logger, metrics: { registry: new Registry() } })]);
    await request(`${url}/users/1`);
    expect(logger.records[0]!.user_id).toBe('ad\\u2028min\\u202egnp.exe\\ud800\\x00\\x09');
  });

  it('a 10 KB header and a 10 KB user id are cut to maxFieldChars', async () => {
    const writes: string[] = [];
    const logger = jsonLinesLogger({ destination: { write: (chunk: string) => writes.push(chunk) }, sync: true });
    const url = await serve([asUser({ id: 'u'.repeat(10_240) }), accessLog({ logger, headers: ['x-big'], metrics: { registry: new Registry() } })]);
    // node accepts 16 KiB of headers in all: a 10 KB one and a 4 KB one.
    expect((await request(`${url}/users/1`, { headers: { 'user-agent': 'A'.repeat(10_240), 'x-big': 'B'.repeat(4_096) } })).status).toBe(200);
    const record = JSON.parse(writes[0]!) as { user_agent: string; user_id: string; headers: Record<string, string> };
    expect(record.user_agent).toBe(`${'A'.repeat(1024)}…`);
    expect(record.headers['x-big']).toBe(`${'B'.repeat(1024)}…`);
    expect(record.user_id).toBe(`${'u'.repeat(1024)}…`);
    expect(writes[0]!.length).toBeLessThan(4_000);
  });

  it('a query of 1 000 pairs is cut to 32 pairs, then to maxFieldChars', async () => {
    const logger = new MemoryLogger();
    const url = await serve([accessLog({ logger, query: true, metrics: { registry: new Registry() } })]);
    const query = Array.from({ length: 1_000 }, (_, i) => `k${i}=v`).join('&');
    await request(`${url}/users/1?${query}`);
    expect(logger.records[0]!.query).toBe(`${Array.from({ length: 32 }, (_, i) => `k${i}=v`).join('&')}&…`);
    const long = new MemoryLogger();
    const url2 = await serve([accessLog({ logger: long, query: true, maxFieldChars: 20, metrics: { registry: new Registry() } })]);
    await request(`${url2}/users/1?a=${'b'.repeat(100)}`);
    expect(long.records[0]!.query).toBe(`a=${'b'.repeat(18)}…`);
  });

  it('parameter and header names like __proto__ are plain keys: nothing is polluted', async () => {
    const logger = new MemoryLogger();
    const url = await serve([
      auditLog({ logger, methods: ['GET'], metrics: { registry: new Registry() } }),
      async function hostileParams(ctx, next) {
        // A router that hands out a parsed object with an own "__proto__" key (JSON.parse makes one).
        (ctx.req as unknown as { matchedParams: unknown }).matchedParams = JSON.parse('{"__proto__":"polluted","constructor":"c"}');
        await next();
      },
    ]);
    await request(`${url}/users/1`);
    const params = logger.records[0]!.params as Record<string, string>;
    expect(Object.keys(params)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(params)).toBe('{"__proto__":"polluted","constructor":"c"}');
    expect(({} as Record<string, unknown>).polluted).toBe(undefined);

    const access = new MemoryLogger();
    const url2 = await serve([accessLog({ logger: access, headers: ['__proto__'], metrics: { registry: new Registry() } })]);
    await request(`${url2}/users/1`, { headers: ['__proto__', 'x'] });
    // node's header object drops that name; the lookup then finds Object.prototype, which is no string: null.
    expect(JSON.stringify(access.records[0]!.headers)).toBe('{"__proto__":null}');
  });
});

describe('security: secrets are never logged', () => {
  const SECRETS = {
    authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.SECRET-AUTH',
    cookie: 'sid=SECRET-COOKIE',
    'proxy-authorization': 'Basic SECRET-PROXY',
    'x-api-key': 'SECRET-API-KEY',
    'x-auth-token': 'SECRET-X-AUTH',
    'x-session': 'SECRET-CUSTOM',
  };

  it('by default: no header, query or body value reaches the record', async () => {
    const writes: string[] = [];
    const logger = jsonLinesLogger({ destination: { write: (chunk: string) => writes.push(chunk) }, sync: true });
    const registry = new Registry();
    const url = await serve([accessLog({ logger, metrics: { registry } }), auditLog({ logger, metrics: { registry } })], (engine) => {
      engine.post('/login', async (ctx) => {
        await ctx.req.body();
        ctx.json(200, { ok: true }, { 'set-cookie': 'sid=SECRET-SET-COOKIE; HttpOnly' });
      });
    });
    const res = await request(`${url}/login?access_token=SECRET-QUERY&password=SECRET-PW`, {
      method: 'POST',
      headers: { ...SECRETS, 'content-type': 'application/json' },
      body: '{"password":"SECRET-BODY","refresh_token":"SECRET-RT"}',
    });
    expect(res.status).toBe(200);
    expect(writes).toHaveLength(2);
    expect(writes.join('')).not.toMatch(/SECRET|eyJ/);
  });

  it('listed in headers/responseHeaders, the sensitive ones are logged as [redacted]; redactHeaders adds more', async () => {
    const logger = new MemoryLogger();
    const url = await serve(
      [
        accessLog({
          logger,
          headers: [...Object.keys(SECRETS), 'x-tenant'],
          responseHeaders: ['set-cookie', 'content-type'],
          redactHeaders: ['X-Session'],
          metrics: { registry: new Registry() },
        }),
      ],
      (engine) => {
        engine.get('/cookie', (ctx) => ctx.text(200, 'ok', { 'set-cookie': ['a=SECRET-1', 'b=SECRET-2'] }));
      },
    );
    await request(`${url}/cookie`, { headers: { ...SECRETS, 'x-tenant': 'acme' } });
    expect(logger.records[0]!.headers).toEqual({
      authorization: '[redacted]',
      cookie: '[redacted]',
      'proxy-authorization': '[redacted]',
      'x-api-key': '[redacted]',
      'x-auth-token': '[redacted]',
      'x-session': '[redacted]',
      'x-tenant': 'acme',
    });
    expect(logger.records[0]!.response_headers).toEqual({ 'set-cookie': '[redacted]', 'content-type': 'text/plain; charset=utf-8' });
    expect(JSON.stringify(logger.records)).not.toContain('SECRET');
  });

  it('query: true still redacts token-like keys (OWASP REST: tokens in URLs end up in logs)', async () => {
    const logger = new MemoryLogger();
    const url = await serve([accessLog({ logger, query: true, metrics: { registry: new Registry() } })]);
    const keys = ['access_token', 'refresh_token', 'id_token', 'token', 'code', 'password', 'api_key', 'apikey', 'api-key', 'x-api-key', 'x-goog-api-key', 'access-key', 'private_key', 'subscription-key', 'code[]', 'key[0]', 'token[a]', 'client_secret', 'X-Amz-Credential', 'sessionid', 'oauth_verifier', 'jwt', 'sig', 'key'];
    await request(`${url}/users/1?${keys.map((k) => `${k}=SECRET`).join('&')}&page=3`);
    expect(logger.records[0]!.query).toBe(`${keys.map((k) => `${encodeURIComponent(k)}=[redacted]`).join('&')}&page=3`);
  });
});

describe('security: hostile thrown values', () => {
  const hostile: [string, () => unknown, unknown][] = [
    ['a string', () => 'str', { name: 'string', code: null }],
    ['null', () => null, { name: 'null', code: null }],
    ['undefined', () => undefined, { name: 'undefined', code: null }],
    ['a number', () => 42, { name: 'number', code: null }],
    ['a plain object', () => ({ code: 'X' }), { name: 'Object', code: 'X' }],
    [
      'an object whose getters throw',
      () =>
        Object.defineProperty({}, 'name', {
          get() {
            throw new Error('getter');
          },
        }),
      { name: 'unreadable', code: null },
    ],
    [
      'a Proxy that throws on every access',
      () =>
        new Proxy(
          {},
          {
            get() {
              throw new Error('trap');
            },
          },
        ),
      { name: 'unreadable', code: null },
    ],
    ['an error with a CRLF name', () => Object.assign(new Error('x'), { name: 'Evil\r\nError', code: 'A\nB' }), { name: 'Evil\\x0d\\x0aError', code: 'A\\x0aB' }],
  ];

  it.each(hostile)('%s: logged, and rethrown as the same value', async (_name, make, summary) => {
    const logger = new MemoryLogger();
    const values: unknown[] = [];
    let thrown: unknown;
    const url = await serve([
      async function outer(ctx, next) {
        try {
          await next();
        } catch (error) {
          values.push(error);
          // Answered here, without touching the value: only the logs are under test.
          ctx.text(500, 'caught');
        }
      },
      accessLog({ logger, errorDetails: true, metrics: { registry: new Registry() } }),
      auditLog({ logger, methods: ['GET'], metrics: { registry: new Registry() } }),
      function explode() {
        thrown = make();
        throw thrown;
      },
    ]);
    expect((await request(`${url}/users/1`)).status).toBe(500);
    expect(values).toHaveLength(1);
    expect(values[0]).toBe(thrown);
    expect(logger.records.map((r) => [r.log, r.status])).toEqual([
      ['audit', 500],
      ['access', 500],
    ]);
    expect(logger.records[1]!.error).toMatchObject(summary as object);
  });
});

describe('security: a failing logger never breaks the response', () => {
  function failing(kind: 'throw' | 'reject' | 'stall'): { info: () => unknown; warn: () => unknown; error: () => unknown } {
    const act = (): unknown => {
      if (kind === 'throw') throw new Error('sink down');
      if (kind === 'reject') return Promise.reject(new Error('sink down'));
      return new Promise(() => {});
    };
    return { info: act, warn: act, error: act };
  }

  it.each(['throw', 'reject', 'stall'] as const)('a logger that %ss: every response intact, failures counted', async (kind) => {
    const registry = new Registry();
    const url = await serve([
      accessLog({ logger: failing(kind), metrics: { registry } }),
      auditLog({ logger: failing(kind), metrics: { registry } }),
    ]);
    const a = await request(`${url}/users/1`);
    const b = await request(`${url}/users`, { method: 'POST' });
    const c = await request(`${url}/boom`);
    expect([a.status, a.text, b.status, b.text, c.status]).toEqual([200, '{"id":"1"}', 201, '{"created":true}', 500]);
    // Rejections are counted when they settle: one more turn.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const expected = kind === 'stall' ? undefined : 3;
    expect(await metricValue(registry, 'ward_logger_errors_total{log="access",stage="write"}')).toBe(expected);
    expect(await metricValue(registry, 'ward_logger_errors_total{log="audit",stage="write"}')).toBe(expected === undefined ? undefined : 1);
  });

  it('a clock that throws costs the line, not the response', async () => {
    const registry = new Registry();
    let calls = 0;
    const now = (): number => {
      calls += 1;
      if (calls === 2) throw new Error('clock');
      return calls;
    };
    const url = await serve([accessLog({ logger: new MemoryLogger(), now, metrics: { registry } })]);
    expect((await request(`${url}/users/1`)).status).toBe(200);
    expect(await metricValue(registry, 'ward_logger_errors_total{log="access",stage="write"}')).toBe(1);
  });

  it('the default line writer survives a destination that throws', async () => {
    const url = await serve([
      accessLog({
        logger: jsonLinesLogger({
          sync: true,
          destination: {
            write() {
              throw new Error('EPIPE');
            },
          },
          onError() {},
        }),
        metrics: { registry: new Registry() },
      }) as Middleware,
    ]);
    expect((await request(`${url}/users/1`)).text).toBe('{"id":"1"}');
  });
});
