/**
 * RFC 9457 problem details: the default formatter's members, request_id,
 * development mode, and the adapter options that change them (custom
 * formatter, type base), end to end through @ward/node.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Context,
  contextSettings,
  defaultProblemOptions,
  formatProblem,
  HttpError,
  type Middleware,
  PROBLEM_CONTENT_TYPE,
  problemOptions,
  type ProblemOptions,
  toHttpError,
} from '@ward/core';
import { listen, request, type TestServer } from '@ward/core/testing';
import { wardListener } from '@ward/node';

function fakeCtx(requestId?: string): Context {
  return { state: requestId === undefined ? {} : { requestId } } as unknown as Context;
}

const dev: ProblemOptions = { ...defaultProblemOptions, development: true };

describe('formatProblem', () => {
  it('makes type, title, status and code from an HttpError', () => {
    expect(formatProblem(new HttpError(404), fakeCtx(), defaultProblemOptions)).toEqual({
      type: 'urn:ward:problem:not-found',
      title: 'Not Found',
      status: 404,
      code: 'NOT_FOUND',
    });
  });

  it('kebab-cases multi-word codes into the type', () => {
    expect(formatProblem(new HttpError(415, { code: 'UNSUPPORTED_CONTENT_ENCODING' }), fakeCtx(), defaultProblemOptions).type).toBe(
      'urn:ward:problem:unsupported-content-encoding',
    );
  });

  it('adds detail for exposed errors and keeps extensions', () => {
    const error = new HttpError(422, { code: 'VALIDATION_FAILED', detail: 'name is required', extensions: { errors: [{ path: 'name' }] } });
    expect(formatProblem(error, fakeCtx(), defaultProblemOptions)).toEqual({
      type: 'urn:ward:problem:validation-failed',
      title: 'Unprocessable Content',
      status: 422,
      code: 'VALIDATION_FAILED',
      detail: 'name is required',
      errors: [{ path: 'name' }],
    });
  });

  it('adds request_id when ctx.state.requestId is set', () => {
    expect(formatProblem(new HttpError(403), fakeCtx('abc-123'), defaultProblemOptions)).toMatchObject({ request_id: 'abc-123' });
    expect(formatProblem(new HttpError(403), fakeCtx(), defaultProblemOptions)).not.toHaveProperty('request_id');
  });

  it('keeps a 5xx detail and stack in the process without development mode', () => {
    const error = toHttpError(new Error('db password=hunter2'));
    const problem = formatProblem(error, fakeCtx(), defaultProblemOptions);
    expect(problem).toEqual({ type: 'urn:ward:problem:internal-error', title: 'Internal Server Error', status: 500, code: 'INTERNAL_ERROR' });
    expect(JSON.stringify(problem)).not.toContain('hunter2');
  });

  it('hides an unexposed 4xx detail', () => {
    expect(formatProblem(new HttpError(400, { detail: 'internal reason', expose: false }), fakeCtx(), defaultProblemOptions)).not.toHaveProperty('detail');
  });

  it('shows the cause’s message and stack only with development: true', () => {
    const cause = new Error('boom');
    const problem = formatProblem(toHttpError(cause), fakeCtx(), dev);
    expect(problem.detail).toBe('boom');
    expect(problem.stack).toEqual(cause.stack?.split('\n'));
    expect((problem.stack as string[])[0]).toBe('Error: boom');
  });

  it('shows an unexposed 4xx detail in development mode, still without a stack', () => {
    const problem = formatProblem(new HttpError(400, { detail: 'internal reason', expose: false }), fakeCtx(), dev);
    expect(problem.detail).toBe('internal reason');
    expect(problem).not.toHaveProperty('stack');
  });

  it('does not let extensions overwrite the core members', () => {
    const error = new HttpError(400, { extensions: { status: 200, code: 'OK', type: 'x', title: 'fine' } });
    expect(formatProblem(error, fakeCtx(), defaultProblemOptions)).toEqual({
      type: 'urn:ward:problem:bad-request',
      title: 'Bad Request',
      status: 400,
      code: 'BAD_REQUEST',
    });
  });

  it('puts the core members first, then the extensions, keeping an extension named like an unset member', () => {
    const error = new HttpError(429, { code: 'RATE_LIMITED', extensions: { limiter: 'api', 'violated-policies': ['burst'], detail: 'from an extension', request_id: 'x' } });
    const json = JSON.stringify(formatProblem(error, fakeCtx(), defaultProblemOptions));
    expect(json).toBe(
      '{"type":"urn:ward:problem:rate-limited","title":"Too Many Requests","status":429,"code":"RATE_LIMITED",' +
        '"limiter":"api","violated-policies":["burst"],"detail":"from an extension","request_id":"x"}',
    );
  });

  it('keeps an own "__proto__" extension as a member, without touching the prototype', () => {
    const extensions = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>;
    const problem = formatProblem(new HttpError(400, { extensions }), fakeCtx(), defaultProblemOptions);
    expect(Object.getPrototypeOf(problem)).toBe(Object.prototype);
    expect((problem as { polluted?: unknown }).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(problem))).toMatchObject({ ok: 1 });
    expect(Object.getOwnPropertyDescriptor(problem, '__proto__')?.value).toEqual({ polluted: true });
  });
});

describe('toHttpError', () => {
  it.each([new Error('x'), 'a string', undefined, null, { status: 404 }])('makes a 500 that keeps %j as cause', (value) => {
    const error = toHttpError(value);
    expect(error.status).toBe(500);
    expect(error.code).toBe('INTERNAL_ERROR');
    expect(error.cause).toBe(value);
  });

  it('returns an HttpError as it is', () => {
    const error = new HttpError(409);
    expect(toHttpError(error)).toBe(error);
  });
});

describe('problem options: validation', () => {
  it('refuses a formatter that is not a function', () => {
    expect(() => problemOptions({ formatter: 'json' as unknown as ProblemOptions['formatter'] })).toThrow(
      new TypeError('problemFormatter must be a function, got string'),
    );
  });

  it('refuses a development flag that is not a boolean', () => {
    expect(() => problemOptions({ development: 'yes' as unknown as boolean })).toThrow(new TypeError('development must be a boolean, got string'));
  });

  it('refuses a type base that is not a string', () => {
    expect(() => contextSettings('node', { problemTypeBase: 42 as unknown as string })).toThrow(new TypeError('problemTypeBase must be a string, got number'));
  });

  it('falls back to the defaults for undefined members', () => {
    expect(problemOptions({ development: undefined })).toEqual(defaultProblemOptions);
  });
});

describe('problem answers through an adapter (@ward/node, real sockets)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const deny: Middleware = function deny(ctx) {
    ctx.state.requestId = 'r-1';
    ctx.problem(new HttpError(429, { headers: { 'retry-after': '7' } }));
  };

  it('sends application/problem+json, no-store, the error’s headers and the exact body', async () => {
    server = await listen(wardListener([deny]));
    const res = await request(server.url);
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['retry-after']).toBe('7');
    expect(res.text).toBe(
      '{"type":"urn:ward:problem:too-many-requests","title":"Too Many Requests","status":429,"code":"TOO_MANY_REQUESTS","request_id":"r-1"}',
    );
    expect(res.headers['content-length']).toBe(String(res.body.byteLength));
  });

  it('uses a custom problemFormatter, given the error, the ctx and the options', async () => {
    const calls: unknown[][] = [];
    server = await listen(
      wardListener([deny], undefined, {
        problemFormatter(error, ctx, options) {
          calls.push([error.status, ctx.state.requestId, options.typeBase]);
          return { error: error.code };
        },
        problemTypeBase: 'https://errors.example.com/',
      }),
    );
    const res = await request(server.url);
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE);
    expect(res.json()).toEqual({ error: 'TOO_MANY_REQUESTS' });
    expect(calls).toEqual([[429, 'r-1', 'https://errors.example.com/']]);
  });

  it('uses problemTypeBase for the type URI', async () => {
    server = await listen(wardListener([deny], undefined, { problemTypeBase: 'https://errors.example.com/' }));
    const res = await request(server.url);
    expect(res.json()).toMatchObject({ type: 'https://errors.example.com/too-many-requests' });
  });

  it('sends the stack of an unhandled error only with development: true', async () => {
    const explode: Middleware = () => {
      throw new Error('kaboom');
    };
    const quiet = { onError: () => {} };
    server = await listen(wardListener([explode], undefined, quiet));
    const prod = await request(server.url);
    expect(prod.json()).toEqual({ type: 'urn:ward:problem:internal-error', title: 'Internal Server Error', status: 500, code: 'INTERNAL_ERROR' });
    await server.close();

    server = await listen(wardListener([explode], undefined, { ...quiet, development: true }));
    const devRes = await request(server.url);
    const body = devRes.json<{ detail: string; stack: string[] }>();
    expect(body.detail).toBe('kaboom');
    expect(body.stack[0]).toBe('Error: kaboom');
  });
});
