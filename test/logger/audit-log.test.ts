/**
 * auditLog() through real HTTP on the ward engine: who did what, with which
 * outcome, for state-changing methods only.
 */
import { HttpError, describeMiddleware } from '@ward/core';
import { request } from '@ward/core/testing';
import { DEFAULT_AUDIT_METHODS, accessLog, auditLog } from '@ward/logger';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLogger, asUser, engineApp, ids, metricValue } from './helpers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function serve(...args: Parameters<typeof engineApp>): Promise<string> {
  const app = await engineApp(...args);
  closers.push(app.close);
  return app.url;
}

const json = (body: string) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('auditLog', () => {
  it('records who did what, with the outcome, for a state-changing request: the exact record', async () => {
    const logger = new MemoryLogger();
    const url = await serve([ids, asUser({ id: 'alice' }), auditLog({ logger, metrics: { registry: new Registry() } })]);
    const res = await request(`${url}/users/42`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"password":"hunter2"}' });
    expect(res.status).toBe(200);
    expect(logger.entries).toEqual([
      {
        level: 'info',
        message: 'audit',
        record: {
          log: 'audit',
          request_id: 'req-1',
          trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
          user_id: 'alice',
          ip: '127.0.0.1',
          method: 'PUT',
          route: '/users/:id',
          path: '/users/42',
          params: { id: '42' },
          status: 200,
          outcome: 'success',
        },
      },
    ]);
    expect(Object.keys(logger.records[0]!)).toEqual([
      'log', 'request_id', 'trace_id', 'user_id', 'ip', 'method', 'route', 'path', 'params', 'status', 'outcome',
    ]);
    expect(JSON.stringify(logger.entries)).not.toContain('hunter2');
  });

  it('audits POST, PUT, PATCH and DELETE by default; GET, HEAD and OPTIONS pass through unrecorded', async () => {
    expect(DEFAULT_AUDIT_METHODS).toEqual(['POST', 'PUT', 'PATCH', 'DELETE']);
    const logger = new MemoryLogger();
    const url = await serve([auditLog({ logger, metrics: { registry: new Registry() } })], (engine) => {
      engine.patch('/users/:id', (ctx) => ctx.json(200, {}));
    });
    await request(`${url}/users/1`);
    await request(`${url}/users/1`, { method: 'HEAD' });
    await request(`${url}/users/1`, { method: 'OPTIONS' });
    await request(`${url}/users`, json('{}'));
    await request(`${url}/users/1`, { method: 'PUT' });
    await request(`${url}/users/1`, { method: 'PATCH' });
    await request(`${url}/users/1`, { method: 'DELETE' });
    expect(logger.records.map((r) => [r.method, r.route, r.status, r.outcome])).toEqual([
      ['POST', '/users', 201, 'success'],
      ['PUT', '/users/:id', 200, 'success'],
      ['PATCH', '/users/:id', 200, 'success'],
      ['DELETE', '/users/:id', 204, 'success'],
    ]);
  });

  it('outcome: denied for 401 and 403, failure for other 4xx and 5xx; all at info', async () => {
    const logger = new MemoryLogger();
    const url = await serve(
      [
        auditLog({ logger, metrics: { registry: new Registry() } }),
        async function gate(ctx, next) {
          const want = ctx.req.header('x-answer');
          if (want !== undefined) return ctx.problem(new HttpError(Number(want)));
          await next();
        },
      ],
    );
    for (const status of ['401', '403', '404', '409', '503']) await request(`${url}/users/1`, { method: 'DELETE', headers: { 'x-answer': status } });
    expect(logger.entries.map((e) => [e.level, e.record.status, e.record.outcome])).toEqual([
      ['info', 401, 'denied'],
      ['info', 403, 'denied'],
      ['info', 404, 'failure'],
      ['info', 409, 'failure'],
      ['info', 503, 'failure'],
    ]);
  });

  it('a rejected next() is a failure with the error name and code, rethrown unchanged', async () => {
    const logger = new MemoryLogger();
    const caught: unknown[] = [];
    const boom = new HttpError(422, { code: 'INVALID_USER' });
    const url = await serve(
      [
        async function catcher(ctx, next) {
          try {
            await next();
          } catch (error) {
            caught.push(error);
            ctx.problem(error);
          }
        },
        auditLog({ logger, metrics: { registry: new Registry() } }),
      ],
      (engine) => {
        engine.post('/fail', () => {
          throw boom;
        });
      },
    );
    expect((await request(`${url}/fail`, json('{}'))).status).toBe(422);
    expect(caught).toEqual([boom]);
    expect(caught[0]).toBe(boom);
    expect(logger.records[0]).toMatchObject({ status: 422, outcome: 'failure', error: { name: 'HttpError', code: 'INVALID_USER' } });
  });

  it('a refused request is audited too: with its route where known, with its path where not', async () => {
    const logger = new MemoryLogger();
    const url = await serve([
      auditLog({ logger, metrics: { registry: new Registry() } }),
      (ctx) => ctx.problem(new HttpError(401, { code: 'TOKEN_MISSING' })),
    ]);
    expect((await request(`${url}/users/9`, { method: 'DELETE' })).status).toBe(401);
    expect((await request(`${url}/no/such/thing`, { method: 'DELETE' })).status).toBe(401);
    expect(logger.records.map((r) => [r.route, r.path, r.params, r.status, r.outcome])).toEqual([
      // The engine routes before the chain runs, so the route is known even when nothing ran it.
      ['/users/:id', '/users/9', { id: '9' }, 401, 'denied'],
      [null, '/no/such/thing', {}, 401, 'denied'],
    ]);
  });

  it('path: false records no path; without a secret parameter the raw path is kept', async () => {
    const logger = new MemoryLogger();
    const url = await serve([auditLog({ logger, path: false, metrics: { registry: new Registry() } })]);
    await request(`${url}/users`, json('{}'));
    expect(logger.records[0]!.path).toBeNull();
    const plain = new MemoryLogger();
    const url2 = await serve([auditLog({ logger: plain, metrics: { registry: new Registry() } })]);
    await request(`${url2}/users`, json('{}'));
    expect(plain.records[0]!.path).toBe('/users');
  });

  it('methods, params: false and redactParams', async () => {
    const logger = new MemoryLogger();
    const url = await serve([auditLog({ logger, methods: ['GET'], metrics: { registry: new Registry() } })], (engine) => {
      engine.get('/orgs/:org/invites/:email/:token', (ctx) => ctx.text(200, 'ok'));
    });
    await request(`${url}/orgs/acme/invites/a%40b.c/t0k3n`);
    await request(`${url}/users`, json('{}'));
    expect(logger.records).toHaveLength(1);
    expect(logger.records[0]!.params).toEqual({ org: 'acme', email: 'a@b.c', token: '[redacted]' });
    // The path would spell the redacted token out: the route template stands in for it.
    expect(logger.records[0]!.path).toBe('/orgs/:org/invites/:email/:token');
    expect(JSON.stringify(logger.records)).not.toContain('t0k3n');

    const quiet = new MemoryLogger();
    const url2 = await serve([auditLog({ logger: quiet, methods: ['GET'], redactParams: ['EMAIL'], metrics: { registry: new Registry() } })], (engine) => {
      engine.get('/orgs/:org/invites/:email/:token', (ctx) => ctx.text(200, 'ok'));
    });
    await request(`${url2}/orgs/acme/invites/a%40b.c/t0k3n`);
    expect(quiet.records[0]!.params).toEqual({ org: 'acme', email: '[redacted]', token: '[redacted]' });

    const none = new MemoryLogger();
    const url3 = await serve([auditLog({ logger: none, params: false, metrics: { registry: new Registry() } })]);
    await request(`${url3}/users/5`, { method: 'DELETE' });
    expect(none.records[0]!.params).toEqual({});
  });

  it('a logger that throws never breaks the response; the failure is counted', async () => {
    const registry = new Registry();
    const throwing = {
      info() {
        throw new Error('disk full');
      },
      warn() {},
      error() {},
    };
    const url = await serve([auditLog({ logger: throwing, metrics: { registry } })]);
    const res = await request(`${url}/users`, json('{}'));
    expect(res.status).toBe(201);
    expect(res.text).toBe('{"created":true}');
    expect(await metricValue(registry, 'ward_logger_errors_total{log="audit",stage="write"}')).toBe(1);
  });

  it('access and audit records go to their own loggers', async () => {
    const access = new MemoryLogger();
    const audit = new MemoryLogger();
    const registry = new Registry();
    const url = await serve([accessLog({ logger: access, metrics: { registry } }), auditLog({ logger: audit, metrics: { registry } })]);
    await request(`${url}/users/1`);
    await request(`${url}/users/1`, { method: 'DELETE' });
    expect(access.records.map((r) => [r.log, r.method])).toEqual([
      ['access', 'GET'],
      ['access', 'DELETE'],
    ]);
    expect(audit.records.map((r) => [r.log, r.method])).toEqual([['audit', 'DELETE']]);
  });

  it('describes itself and validates its options', () => {
    const registry = new Registry();
    expect(describeMiddleware(auditLog({ logger: new MemoryLogger(), metrics: { registry } }))).toEqual({
      name: 'auditLog',
      options: { logger: '[MemoryLogger]', methods: ['POST', 'PUT', 'PATCH', 'DELETE'], params: true, redactParams: [], errorDetails: false, path: true, maxFieldChars: 1024 },
    });
    expect(() => auditLog({ methods: [] })).toThrow("auditLog({ methods }) must be a non-empty array of methods such as ['POST', 'DELETE'], got an array");
    expect(() => auditLog({ methods: ['delete'] })).toThrow(RangeError);
    expect(() => auditLog({ methods: ['delete'] })).toThrow('auditLog({ methods }): "delete" is not an upper-case method name; did you mean "DELETE"?');
    expect(() => auditLog({ methods: [1] as never })).toThrow('auditLog({ methods }) must hold method names (strings), got 1');
    expect(() => auditLog({ params: 1 as never })).toThrow('auditLog({ params }) must be true or false, got 1');
    expect(() => auditLog({ redactParams: 'email' as never })).toThrow("auditLog({ redactParams }) must be an array of names such as ['email'], got \"email\"");
    expect(() => auditLog({ logger: {} as never })).toThrow('auditLog({ logger }) must have an info(record, message) method (pino-compatible), got an object without it');
  });
});
