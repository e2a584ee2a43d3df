/**
 * Scenarios: @ward/logger on every adapter — one access record per request
 * after the response is decided, the route the stack reports, errors logged
 * and rethrown, streams, the audit trail, redaction, and hostile values
 * that must stay on one escaped line.
 */
import type { Middleware } from '@ward/core';
import { type AccessLogRecord, type AuditLogRecord, type LogLevel, type StructuredLogger, accessLog, auditLog, jsonLinesLogger } from '@ward/logger';
import { httpMetrics } from '@ward/metrics';
import { Registry } from 'prom-client';
import { expect } from 'vitest';
import type { Scenario } from '../harness.js';
import { CREATED_BODY, JSON_BODY, type Probe, STREAM_CHUNKS, TEXT_TYPE } from '../probe.js';
import { jsonPost, rethrow } from './shared.js';

/** A pino-compatible logger kept in the probe; records arrive after the response is decided. */
class ProbeLogger implements StructuredLogger {
  readonly entries: { level: LogLevel; record: Record<string, unknown>; message: string | undefined }[] = [];
  readonly #probe: Probe;
  readonly #name: string;

  constructor(probe: Probe, name: string) {
    this.#probe = probe;
    this.#name = name;
    probe.seen[name] = this;
  }

  info(record: object, message?: string): void {
    this.#push('info', record, message);
  }

  warn(record: object, message?: string): void {
    this.#push('warn', record, message);
  }

  error(record: object, message?: string): void {
    this.#push('error', record, message);
  }

  #push(level: LogLevel, record: object, message: string | undefined): void {
    this.entries.push({ level, record: record as Record<string, unknown>, message });
    this.#probe.event(`${this.#name} ${this.entries.length}`).resolve(undefined);
  }
}

/** The logger a chain registered under `name`, once it holds `count` entries. */
async function logged(probe: Probe, name: string, count: number): Promise<ProbeLogger> {
  await probe.event(`${name} ${count}`).promise;
  return probe.seen[name] as ProbeLogger;
}

/** Every request lasts exactly 7 ms. */
function stepping(): () => number {
  let t = 0;
  return () => (t += 7);
}

/** Sets the ids @ward/request-id would set. */
const ids: Middleware = async function ids(ctx, next) {
  ctx.state.requestId = 'req-7';
  ctx.state.traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  await next();
};

/** Records what `ctx.req.route` says after next(): the logged route must be exactly that. */
function routeSpy(probe: Probe): Middleware {
  return async function routeSpy(ctx, next) {
    await next();
    probe.seen.route = ctx.req.route ?? null;
  };
}

const metrics = (): { registry: Registry } => ({ registry: new Registry() });

export const LOGGER: readonly Scenario[] = [
  {
    name: 'logger: one access record per request once the response is decided, with the route the stack reports',
    chain: (probe) => [ids, accessLog({ logger: new ProbeLogger(probe, 'access'), now: stepping(), metrics: metrics() }), routeSpy(probe)],
    exchanges: [{ path: '/json?page=2', request: { headers: { 'user-agent': 'conformance/1' } }, expect: { status: 200, json: JSON_BODY } }],
    counts: { json: 1 },
    async verify({ probe }) {
      const logger = await logged(probe, 'access', 1);
      const route = probe.seen.route as string | null;
      // A template where the stack routes (engine, Express, Fastify: '/json'); null on bare node:http.
      expect([null, '/json']).toContain(route);
      expect(logger.entries).toEqual([
        {
          level: 'info',
          message: 'request completed',
          record: {
            log: 'access',
            request_id: 'req-7',
            trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
            method: 'GET',
            route,
            path: '/json',
            status: 200,
            duration_ms: 7,
            bytes: Buffer.byteLength(JSON.stringify(JSON_BODY)),
            ip: '127.0.0.1',
            user_id: null,
            user_agent: 'conformance/1',
            slow: false,
            aborted: false,
          } satisfies AccessLogRecord,
        },
      ]);
    },
  },
  {
    name: 'logger: an unmatched path is logged as 404 at warn with route null',
    chain: (probe) => [accessLog({ logger: new ProbeLogger(probe, 'access'), metrics: metrics() })],
    exchanges: [{ path: '/nope', expect: { status: 404, notFound: true } }],
    counts: {},
    async verify({ probe }) {
      const logger = await logged(probe, 'access', 1);
      expect(logger.entries.map((e) => [e.level, e.record.status, e.record.route, e.record.path])).toEqual([['warn', 404, null, '/nope']]);
    },
  },
  {
    name: 'logger: a handler error is logged once at error as 500 (name and code only) and next() rejects with the same error',
    chain: (probe) => [rethrow(probe), accessLog({ logger: new ProbeLogger(probe, 'access'), metrics: metrics() })],
    exchanges: [{ path: '/throw', expect: { status: 500, unhandled: true } }],
    counts: { throwSync: 1 },
    async verify({ probe }) {
      const logger = await logged(probe, 'access', 1);
      expect(probe.caught).toHaveLength(1);
      expect(probe.caught[0]).toBe(probe.thrown[0]);
      expect(logger.entries.map((e) => [e.level, e.message, e.record.status, e.record.bytes, e.record.error])).toEqual([
        ['error', 'request failed', 500, null, { name: 'Error', code: null }],
      ]);
      expect(JSON.stringify(logger.entries)).not.toContain('handler exploded');
    },
  },
  {
    name: 'logger: a thrown value carrying a status is logged (and counted by httpMetrics) with the status the client got, whoever answered it (ward or the framework)',
    chain: (probe) => [
      httpMetrics({ registry: (probe.seen.registry = new Registry()) as Registry }),
      accessLog({ logger: new ProbeLogger(probe, 'access'), metrics: metrics() }),
      function throwsStatusObject(ctx) {
        // A plain object and an Error whose status is no number: each stack reads these its own way.
        if (ctx.req.path === '/json') throw { status: 404 };
        throw Object.assign(new Error('mixed'), { status: 'bad', statusCode: 403 });
      },
    ],
    async run({ send, probe }) {
      const first = await send('/json');
      const second = await send('/text');
      const logger = await logged(probe, 'access', 2);
      expect(logger.entries.map((e) => e.record.status)).toEqual([first.status, second.status]);
      const counted = (await (probe.seen.registry as Registry).getSingleMetric('ward_http_request_duration_seconds')!.get()).values
        .filter((v) => (v as { metricName?: string }).metricName === 'ward_http_request_duration_seconds_count' && v.value > 0)
        .flatMap((v) => Array.from({ length: v.value }, () => v.labels.status_class))
        .sort();
      expect(counted).toEqual([`${String(first.status)[0]}xx`, `${String(second.status)[0]}xx`].sort());
    },
    counts: {},
  },
  {
    name: 'logger: a streamed response is logged once, after it ended, with bytes unknown (null)',
    chain: (probe) => [accessLog({ logger: new ProbeLogger(probe, 'access'), metrics: metrics() })],
    exchanges: [{ path: '/stream', expect: { status: 200, text: STREAM_CHUNKS.join(''), headers: { 'content-type': TEXT_TYPE, 'content-length': null } } }],
    counts: { stream: 1 },
    async verify({ probe }) {
      const logger = await logged(probe, 'access', 1);
      expect(logger.entries.map((e) => [e.level, e.record.status, e.record.bytes, e.record.aborted])).toEqual([['info', 200, null, false]]);
    },
  },
  {
    name: 'logger: the audit log records who did what for POST, and nothing for GET',
    chain: (probe) => [
      ids,
      async function user(ctx, next) {
        (ctx.state as { user?: unknown }).user = { id: 'alice' };
        await next();
      },
      auditLog({ logger: new ProbeLogger(probe, 'audit'), metrics: metrics() }),
      routeSpy(probe),
    ],
    exchanges: [
      { path: '/json', expect: { status: 200, json: JSON_BODY } },
      { path: '/created', request: { method: 'POST' }, expect: { status: 201, json: CREATED_BODY, headers: { 'x-handler': '1' } } },
    ],
    counts: { json: 1, created: 1 },
    async verify({ probe }) {
      const logger = await logged(probe, 'audit', 1);
      const route = probe.seen.route as string | null;
      expect([null, '/created']).toContain(route);
      expect(logger.entries).toEqual([
        {
          level: 'info',
          message: 'audit',
          record: {
            log: 'audit',
            request_id: 'req-7',
            trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
            user_id: 'alice',
            ip: '127.0.0.1',
            method: 'POST',
            route,
            path: '/created',
            params: {},
            status: 201,
            outcome: 'success',
          } satisfies AuditLogRecord,
        },
      ]);
    },
  },
  {
    name: 'logger: the query string is not logged by default; with query: true, token values are redacted',
    chain: (probe) => [
      accessLog({ logger: new ProbeLogger(probe, 'plain'), metrics: metrics() }),
      accessLog({ logger: new ProbeLogger(probe, 'query'), query: true, metrics: metrics() }),
    ],
    exchanges: [{ path: '/json?access_token=SECRET-TOKEN&page=2', expect: { status: 200, json: JSON_BODY } }],
    counts: { json: 1 },
    async verify({ probe }) {
      const plain = await logged(probe, 'plain', 1);
      const query = await logged(probe, 'query', 1);
      expect(plain.entries[0]!.record.path).toBe('/json');
      expect('query' in plain.entries[0]!.record).toBe(false);
      expect(query.entries[0]!.record.query).toBe('access_token=[redacted]&page=2');
      expect(JSON.stringify([plain.entries, query.entries])).not.toContain('SECRET');
    },
  },

  // ---- hostile inputs ----
  {
    name: 'logger: C1 controls, non-UTF-8 bytes, a 10 KB User-Agent and CR/LF in a query value stay on one escaped JSON line',
    group: 'security',
    chain: (probe) => {
      const lines: string[] = [];
      probe.seen.lines = lines;
      const logger = jsonLinesLogger({
        sync: true,
        destination: {
          write(chunk: string) {
            lines.push(chunk);
            probe.event('line').resolve(undefined);
          },
        },
      });
      return [accessLog({ logger, query: true, metrics: metrics() })];
    },
    exchanges: [
      {
        // node's client sends \x85 (NEL), \x9b (CSI) and \xff as single bytes.
        path: '/json?q=a%0d%0aFAKE%3D1',
        request: { headers: { 'user-agent': `a\x85b\x9b[31m\xff${'x'.repeat(10_000)}` } },
        expect: { status: 200, json: JSON_BODY },
      },
    ],
    counts: { json: 1 },
    async verify({ probe }) {
      await probe.event('line').promise;
      const output = (probe.seen.lines as string[]).join('');
      expect(output.endsWith('\n')).toBe(true);
      expect(output.slice(0, -1)).not.toMatch(/[\r\n\u0085\u009b\u2028\u2029]/u);
      const record = JSON.parse(output) as AccessLogRecord;
      expect(record.user_agent).toBe(`a\\x85b\\x9b[31m\u00ff${'x'.repeat(1024 - 9)}…`);
      expect(record.query).toBe('q=a%0D%0AFAKE%3D1');
    },
  },
  {
    name: 'logger: Authorization, Cookie, X-API-Key and the request body never reach the log, even when the headers are listed',
    group: 'security',
    chain: (probe) => [
      accessLog({ logger: new ProbeLogger(probe, 'access'), headers: ['authorization', 'cookie', 'x-api-key', 'x-tenant'], metrics: metrics() }),
      auditLog({ logger: new ProbeLogger(probe, 'audit'), metrics: metrics() }),
    ],
    exchanges: [
      {
        path: '/echo',
        request: jsonPost('{"password":"SECRET-BODY"}', {
          authorization: 'Bearer SECRET-TOKEN',
          cookie: 'sid=SECRET-COOKIE',
          'x-api-key': 'SECRET-KEY',
          'x-tenant': 'acme',
        }),
        expect: { status: 200, json: { password: 'SECRET-BODY' } },
      },
    ],
    counts: { echoBody: 1 },
    async verify({ probe }) {
      const access = await logged(probe, 'access', 1);
      const audit = await logged(probe, 'audit', 1);
      expect(access.entries[0]!.record.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]', 'x-api-key': '[redacted]', 'x-tenant': 'acme' });
      expect(audit.entries[0]!.record).toMatchObject({ method: 'POST', path: '/echo', status: 200, outcome: 'success' });
      expect(JSON.stringify([access.entries, audit.entries])).not.toContain('SECRET');
    },
  },
  {
    name: 'logger: a logger that throws never breaks the response, and the failures are counted',
    group: 'security',
    chain: (probe) => {
      const registry = new Registry();
      probe.seen.registry = registry;
      let failures = 0;
      const fail = (): never => {
        failures += 1;
        probe.event(`failure ${failures}`).resolve(undefined);
        throw new Error('sink down');
      };
      const broken: StructuredLogger = { info: fail, warn: fail, error: fail };
      return [accessLog({ logger: broken, metrics: { registry } }), auditLog({ logger: broken, metrics: { registry } })];
    },
    exchanges: [
      { path: '/json', expect: { status: 200, json: JSON_BODY } },
      { path: '/created', request: { method: 'POST' }, expect: { status: 201, json: CREATED_BODY } },
      { path: '/nope', expect: { status: 404, notFound: true } },
    ],
    counts: { json: 1, created: 1 },
    async verify({ probe }) {
      // Three access records and one audit record were attempted.
      await probe.event('failure 4').promise;
      const text = await (probe.seen.registry as Registry).metrics();
      expect(text).toContain('ward_logger_errors_total{log="access",stage="write"} 3\n');
      expect(text).toContain('ward_logger_errors_total{log="audit",stage="write"} 1\n');
    },
  },
];
