/**
 * HttpError, WardError, ClientClosedError and the brand guards, including
 * errors from a second copy of the package (where instanceof fails).
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientClosedError, answeredStatus, conventionalStatus, HttpError, inspectableError, isHttpError, isServerFault, isWardError, statusTitle, toHttpError, WardError } from '@ward/core';

describe('HttpError: status', () => {
  it.each([399, 600, 200, 0, -404, 404.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s with a RangeError showing the value', (status) => {
    expect(() => new HttpError(status)).toThrow(new RangeError(`HttpError status must be an integer from 400 to 599, got ${String(status)}`));
  });

  it('refuses a numeric string', () => {
    expect(() => new HttpError('404' as unknown as number)).toThrow(RangeError);
  });

  it('accepts the bounds 400 and 599', () => {
    expect(new HttpError(400).status).toBe(400);
    expect(new HttpError(599).status).toBe(599);
  });
});

describe('HttpError: defaults', () => {
  it.each([
    [400, 'BAD_REQUEST', 'Bad Request'],
    [401, 'UNAUTHORIZED', 'Unauthorized'],
    [403, 'FORBIDDEN', 'Forbidden'],
    [404, 'NOT_FOUND', 'Not Found'],
    [405, 'METHOD_NOT_ALLOWED', 'Method Not Allowed'],
    [413, 'PAYLOAD_TOO_LARGE', 'Content Too Large'],
    [415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type'],
    [429, 'TOO_MANY_REQUESTS', 'Too Many Requests'],
    [500, 'INTERNAL_ERROR', 'Internal Server Error'],
    [503, 'SERVICE_UNAVAILABLE', 'Service Unavailable'],
    [504, 'GATEWAY_TIMEOUT', 'Gateway Timeout'],
    [418, 'BAD_REQUEST', 'Client Error'],
    [422, 'BAD_REQUEST', 'Unprocessable Content'],
    [502, 'INTERNAL_ERROR', 'Bad Gateway'],
    [599, 'INTERNAL_ERROR', 'Server Error'],
  ])('%i → code %s, title %s', (status, code, title) => {
    const error = new HttpError(status);
    expect(error.code).toBe(code);
    expect(error.title).toBe(title);
    expect(error.message).toBe(title);
    expect(error.detail).toBeUndefined();
    expect(error.headers).toEqual({});
    expect(error.extensions).toEqual({});
  });

  it('keeps given code, title, detail, headers, extensions and cause', () => {
    const cause = new Error('root');
    const error = new HttpError(429, {
      code: 'RATE_LIMITED',
      title: 'Slow down',
      detail: 'Try again in 3 s',
      headers: { 'retry-after': '3' },
      extensions: { limit: 10 },
      cause,
    });
    expect(error).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      title: 'Slow down',
      detail: 'Try again in 3 s',
      message: 'Try again in 3 s',
      headers: { 'retry-after': '3' },
      extensions: { limit: 10 },
      name: 'HttpError',
    });
    expect(error.cause).toBe(cause);
  });

  it('is an Error and a WardError', () => {
    const error = new HttpError(400);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(WardError);
    expect(error.stack).toContain('HttpError');
  });
});

describe('HttpError: stack traces', () => {
  const frames = (error: Error): string[] => (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at '));

  it('captures none for a 4xx (a refusal), and a full one for a 5xx', () => {
    const refused = new HttpError(429, { detail: 'slow down' });
    expect(refused.stack).toBe('HttpError: slow down');
    expect(frames(new HttpError(400))).toEqual([]);
    expect(frames(new HttpError(499))).toEqual([]);
    expect(frames(new HttpError(500)).length).toBeGreaterThan(0);
    expect(frames(new HttpError(503)).length).toBeGreaterThan(0);
  });

  it('leaves Error.stackTraceLimit as it was, also when the options throw', () => {
    const before = Error.stackTraceLimit;
    void new HttpError(404);
    expect(Error.stackTraceLimit).toBe(before);
    const hostile = { get cause(): never { throw new Error('getter'); } };
    expect(() => new HttpError(400, hostile as never)).toThrow('getter');
    const detail = { toString(): never { throw new Error('toString'); } };
    expect(() => new HttpError(400, { detail: detail as never })).toThrow('toString');
    expect(Error.stackTraceLimit).toBe(before);
    expect(frames(new Error('still captured')).length).toBeGreaterThan(0);
  });

  it('works when Error.stackTraceLimit is already 0 or not a number', () => {
    const before = Error.stackTraceLimit;
    try {
      Error.stackTraceLimit = 0;
      expect(new HttpError(500).status).toBe(500);
      expect(Error.stackTraceLimit).toBe(0);
      (Error as { stackTraceLimit: unknown }).stackTraceLimit = undefined;
      expect(new HttpError(404).status).toBe(404);
      expect(Error.stackTraceLimit).toBeUndefined();
    } finally {
      Error.stackTraceLimit = before;
    }
  });
});

describe('HttpError: expose', () => {
  it('exposes details below 500 and hides them from 500 by default', () => {
    expect(new HttpError(499).expose).toBe(true);
    expect(new HttpError(400).expose).toBe(true);
    expect(new HttpError(500).expose).toBe(false);
    expect(new HttpError(503).expose).toBe(false);
  });

  it('follows an explicit choice either way', () => {
    expect(new HttpError(400, { expose: false }).expose).toBe(false);
    expect(new HttpError(503, { expose: true }).expose).toBe(true);
  });
});

describe('ClientClosedError and WardError', () => {
  it('ClientClosedError has code CLIENT_CLOSED and is a ward error, not an HTTP error', () => {
    const error = new ClientClosedError();
    expect(error).toMatchObject({ name: 'ClientClosedError', code: 'CLIENT_CLOSED' });
    expect(isWardError(error)).toBe(true);
    expect(isHttpError(error)).toBe(false);
  });

  it('WardError keeps its code and cause', () => {
    const cause = new Error('x');
    const error = new WardError('REDIS_DOWN', 'store unavailable', { cause });
    expect(error).toMatchObject({ code: 'REDIS_DOWN', message: 'store unavailable', name: 'WardError' });
    expect(error.cause).toBe(cause);
  });

  it('statusTitle gives RFC 9110 phrases and a class fallback', () => {
    expect(statusTitle(404)).toBe('Not Found');
    expect(statusTitle(451)).toBe('Unavailable For Legal Reasons');
    expect(statusTitle(499)).toBe('Client Error');
    expect(statusTitle(550)).toBe('Server Error');
  });
});

describe('brand guards', () => {
  it.each([null, undefined, 0, 'HttpError', {}, new Error('plain'), { status: 404, code: 'NOT_FOUND' }])('say no to %j', (value) => {
    expect(isHttpError(value)).toBe(false);
    expect(isWardError(value)).toBe(false);
  });

  it('say yes to this copy’s errors', () => {
    expect(isHttpError(new HttpError(404))).toBe(true);
    expect(isWardError(new HttpError(404))).toBe(true);
  });

  describe('across a duplicate copy of @ward/core', () => {
    let dir: string;
    let copy: typeof import('@ward/core');

    beforeAll(async () => {
      // A real second copy of the built package, as npm makes when two versions are installed.
      dir = mkdtempSync(join(tmpdir(), 'ward-duplicate-'));
      const source = new URL('../../src/core/dist/', import.meta.url);
      cpSync(source, join(dir, 'dist'), { recursive: true });
      // The sources too, so the copy's source maps resolve.
      cpSync(new URL('../../src/core/', import.meta.url), dir, { recursive: true, filter: (from) => !from.includes('dist') && !from.endsWith('.json') });
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      cpSync(new URL('../../node_modules/proxy-addr', import.meta.url), join(dir, 'node_modules', 'proxy-addr'), { recursive: true, dereference: true });
      for (const dep of ['forwarded', 'ipaddr.js']) {
        cpSync(new URL(`../../node_modules/${dep}`, import.meta.url), join(dir, 'node_modules', dep), { recursive: true, dereference: true });
      }
      copy = (await import(pathToFileURL(join(dir, 'dist', 'index.js')).href)) as typeof import('@ward/core');
    });

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('the copy is a different class: instanceof fails', () => {
      expect(copy.HttpError).not.toBe(HttpError);
      expect(new copy.HttpError(404)).not.toBeInstanceOf(HttpError);
    });

    it('isHttpError and isWardError still recognise its errors', () => {
      const foreign = new copy.HttpError(429, { code: 'RATE_LIMITED' });
      expect(isHttpError(foreign)).toBe(true);
      expect(isWardError(foreign)).toBe(true);
      expect(isWardError(new copy.ClientClosedError())).toBe(true);
      expect(isHttpError(new copy.ClientClosedError())).toBe(false);
      // And the other way round.
      expect(copy.isHttpError(new HttpError(400))).toBe(true);
    });

    it('toHttpError keeps a foreign HttpError as it is instead of wrapping it in a 500', () => {
      const foreign = new copy.HttpError(429, { code: 'RATE_LIMITED' });
      const result = toHttpError(foreign);
      expect(result).toBe(foreign);
      expect(result.status).toBe(429);
    });
  });
});

describe('security: hostile thrown values', () => {
  const trap = (): never => {
    throw new Error('trap');
  };
  const hostile = new Proxy({}, { get: trap, has: trap, getPrototypeOf: trap, ownKeys: trap, getOwnPropertyDescriptor: trap });

  it('the brand guards and isServerFault never throw on a Proxy whose traps throw', () => {
    expect(isHttpError(hostile)).toBe(false);
    expect(isWardError(hostile)).toBe(false);
    expect(isServerFault(hostile)).toBe(true);
  });

  it('inspectableError replaces what frameworks cannot read and keeps everything else as it is', () => {
    const replaced = inspectableError(hostile);
    expect(replaced).toBeInstanceOf(Error);
    expect((replaced as Error).message).toBe('ward: a thrown value could not be inspected (reading its properties throws)');
    const withGetter = Object.defineProperty(new Error('x'), 'status', { get: trap });
    expect(inspectableError(withGetter)).not.toBe(withGetter);
    const plain = new Error('fine');
    expect(inspectableError(plain)).toBe(plain);
    expect(inspectableError('text')).toBe('text');
    expect(inspectableError(null)).toBe(null);
  });
});

describe('the http-errors status convention', () => {
  it('an Error with a 4xx/5xx status or statusCode keeps it; plain objects and odd values do not', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { status: 413, expose: true });
    const fastify = Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
    expect(conventionalStatus(tooLarge)).toBe(413);
    expect(conventionalStatus(fastify)).toBe(415);
    expect(conventionalStatus({ status: 403 })).toBeUndefined();
    expect(conventionalStatus(Object.assign(new Error('x'), { status: 302 }))).toBeUndefined();
    expect(conventionalStatus(Object.assign(new Error('x'), { status: '400' }))).toBeUndefined();
    // finalhandler: `status` when it is an error status, else `statusCode` (never "status wins whatever it is").
    expect(conventionalStatus(Object.assign(new Error('x'), { status: 302, statusCode: 404 }))).toBe(404);
    expect(conventionalStatus(Object.assign(new Error('x'), { status: 409, statusCode: 404 }))).toBe(409);
    expect(answeredStatus(Object.assign(new Error('x'), { status: 302, statusCode: 404 }), 'express')).toBe(404);
    expect(answeredStatus({ status: 'bad', statusCode: 403 }, 'express')).toBe(403);
    // Fastify's setErrorStatusCode reads `statusCode` first.
    expect(answeredStatus(Object.assign(new Error('x'), { status: 409, statusCode: 404 }), 'fastify')).toBe(404);
    expect(answeredStatus(Object.assign(new Error('x'), { status: 409, statusCode: 302 }), 'fastify')).toBe(409);
    const converted = toHttpError(tooLarge);
    expect([converted.status, converted.code, converted.cause]).toEqual([413, 'PAYLOAD_TOO_LARGE', tooLarge]);
    expect(isServerFault(tooLarge)).toBe(false);
    expect(isServerFault(Object.assign(new Error('x'), { statusCode: 503 }))).toBe(true);
    expect(toHttpError({ status: 403 }).status).toBe(500);
  });
});
