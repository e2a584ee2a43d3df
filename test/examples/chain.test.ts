/**
 * THE chain the three examples mount (examples/server/chain.js): its order,
 * and that the options the apps pass through reach the middleware; and the
 * example middleware frameworkErrors() on its own.
 */
import { describe, it, expect } from 'vitest';
import { Registry } from 'prom-client';
import { type Context, HttpError, describeChain, isHttpError } from '@ward/core';
import { wardChain } from '../../examples/server/chain.js';
import { frameworkErrors } from '../../examples/server/middleware/framework-errors.js';
import { collectingLogger } from './user-api.js';

describe('wardChain()', () => {
  it('lists the middleware in the documented order', () => {
    expect(describeChain(wardChain({ registry: new Registry() })).map((d) => d.name)).toEqual([
      'httpMetrics',
      'requestId',
      'accessLog',
      'recovery',
      'frameworkErrors',
      'timeout',
      'securityHeaders',
      'cors',
      'rateLimit',
      'rateLimit',
      'rateLimit',
      'auditLog',
      'serverTiming',
    ]);
  });

  it('defaults: http://localhost:5173 for CORS, 10 s per request', () => {
    const chain = describeChain(wardChain({ registry: new Registry() }));
    expect(chain.find((d) => d.name === 'timeout')!.options).toMatchObject({ timeoutMs: 10_000 });
    expect(chain.find((d) => d.name === 'cors')!.options).toMatchObject({ origin: ['http://localhost:5173'], credentials: true });
  });

  it('passes corsOrigins, timeoutMs, the logger and onError through', () => {
    const { logger } = collectingLogger();
    const onError = function reportToTest(): void {};
    const chain = describeChain(wardChain({ registry: new Registry(), logger, corsOrigins: ['https://a.example', 'https://b.example'], timeoutMs: 1234, onError }));
    expect(chain.find((d) => d.name === 'timeout')!.options).toMatchObject({ timeoutMs: 1234 });
    expect(chain.find((d) => d.name === 'cors')!.options).toMatchObject({ origin: ['https://a.example', 'https://b.example'] });
    expect(JSON.stringify(chain.find((d) => d.name === 'recovery')!.options)).toContain('reportToTest');
  });

  it('registers every metric on the registry it is given', async () => {
    const registry = new Registry();
    wardChain({ registry });
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    for (const name of [
      'ward_http_request_duration_seconds',
      'ward_request_id_replaced_total',
      'ward_logger_errors_total',
      'ward_recovery_errors_total',
      'ward_timeout_expired_total',
      'ward_cors_rejected_total',
    ]) {
      expect(names).toContain(name);
    }
  });
});

describe('frameworkErrors()', () => {
  const ctx = {} as Context;
  // What the middleware rethrows, boxed (resolving a promise with a hostile Proxy would read its `then`).
  const rethrown = async (thrown: unknown): Promise<{ error: unknown }> => {
    try {
      await frameworkErrors()(ctx, () => Promise.reject(thrown));
    } catch (error) {
      return { error };
    }
    throw new Error('frameworkErrors() swallowed the error');
  };
  const run = async (thrown: unknown): Promise<unknown> => (await rethrown(thrown)).error;

  it("turns a framework's 4xx errors into HttpErrors with the examples' codes", async () => {
    const parse = Object.assign(new SyntaxError('Unexpected token'), { status: 400, type: 'entity.parse.failed' });
    const tooLarge = Object.assign(new Error('request entity too large'), { statusCode: 413, type: 'entity.too.large' });
    const badPath = Object.assign(new URIError("Failed to decode param '%E0%A4%A'"), { status: 400 });
    expect(await run(parse)).toMatchObject({ status: 400, code: 'INVALID_JSON', cause: parse });
    expect(await run(tooLarge)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(await run(badPath)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(isHttpError(await run(badPath))).toBe(true);
  });

  it('passes everything else through unchanged, for recovery to classify and report', async () => {
    const httpError = new HttpError(404, { code: 'USER_NOT_FOUND' });
    const fault = Object.assign(new Error('db down'), { status: 503 });
    const plain = new Error('boom');
    for (const thrown of [httpError, fault, plain, 'boom', null, undefined, 42, { status: '400' }]) {
      expect(await run(thrown)).toBe(thrown);
    }
  });

  it('a hostile thrown value (a Proxy whose traps throw) is passed on, not turned into a crash', async () => {
    const hostile = new Proxy({}, {
      get() {
        throw new Error('trap');
      },
    });
    expect((await rethrown(hostile)).error === hostile).toBe(true);
  });

  it('does nothing when the downstream succeeds', async () => {
    let ran = false;
    await frameworkErrors()(ctx, async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });
});
