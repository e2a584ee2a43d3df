/**
 * Packaging and public types of @ward/request-id: it loads from ESM and from
 * CommonJS `require` with exactly its public surface, shares one
 * AsyncLocalStorage across copies, and its types describe the state keys
 * and refuse wrong options.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Context, Middleware, WardState } from '@ward/core';
import * as pkg from '@ward/request-id';
import {
  type ParsedTraceparent,
  type RequestContext,
  type RequestIdOptions,
  type TraceContext,
  getRequestContext,
  getRequestId,
  parseTraceparent,
  propagationHeaders,
  requestId,
} from '@ward/request-id';
import { Registry } from 'prom-client';
import { describe, expect, expectTypeOf, it } from 'vitest';

const PUBLIC = [
  'DEFAULT_HEADER',
  'InvalidGeneratedIdError',
  'MAX_REQUEST_ID_LENGTH',
  'MAX_TRACESTATE_LENGTH',
  'getRequestContext',
  'getRequestId',
  'isInvalidGeneratedIdError',
  'isSafeRequestId',
  'parseTraceparent',
  'propagationHeaders',
  'requestId',
];

describe('packaging', () => {
  it('imports from ESM with exactly the public surface', () => {
    expect(Object.keys(pkg).sort()).toEqual(PUBLIC);
    expect(pkg.DEFAULT_HEADER).toBe('X-Request-ID');
    expect(pkg.MAX_TRACESTATE_LENGTH).toBe(512);
  });

  it('loads with CommonJS require (node ≥ 20.19 require(esm))', () => {
    const out = execFileSync(process.execPath, ['-e', "process.stdout.write(Object.keys(require('@ward/request-id')).sort().join(','))"], {
      encoding: 'utf8',
    });
    expect(out).toBe(PUBLIC.join(','));
    const required = createRequire(import.meta.url)('@ward/request-id') as typeof pkg;
    expect(typeof required.requestId).toBe('function');
  });

  it('keeps its AsyncLocalStorage under a registered symbol, so duplicate copies share it', () => {
    const shared = (globalThis as Record<symbol, unknown>)[Symbol.for('ward.request-id.storage')] as { run: (store: unknown, fn: () => unknown) => unknown };
    expect(shared.constructor.name).toBe('AsyncLocalStorage');
    const scope = { requestId: 'from-another-copy', trace: undefined, traceId: undefined, header: 'X-Request-ID', ctx: {} };
    expect(shared.run(scope, () => [getRequestId(), getRequestContext(), propagationHeaders()])).toEqual([
      'from-another-copy',
      scope,
      { 'x-request-id': 'from-another-copy' },
    ]);
    expect(getRequestId()).toBeUndefined();
  });
});

describe('types', () => {
  it('the factory returns middleware; the accessors and the parser are typed', () => {
    expectTypeOf(requestId()).toEqualTypeOf<Middleware>();
    expectTypeOf(requestId({ registry: new Registry(), header: 'X-Correlation-ID' })).toEqualTypeOf<Middleware>();
    expectTypeOf(getRequestId).returns.toEqualTypeOf<string | undefined>();
    expectTypeOf(getRequestContext).returns.toEqualTypeOf<RequestContext | undefined>();
    expectTypeOf(propagationHeaders).returns.toEqualTypeOf<Record<string, string>>();
    expectTypeOf(parseTraceparent).returns.toEqualTypeOf<ParsedTraceparent | undefined>();
    expectTypeOf<RequestContext['ctx']>().toEqualTypeOf<Context>();
  });

  it('declares ctx.state.trace next to the requestId and traceId of core', () => {
    expectTypeOf<WardState['trace']>().toEqualTypeOf<TraceContext | undefined>();
    expectTypeOf<WardState['requestId']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<WardState['traceId']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<TraceContext['flags']>().toEqualTypeOf<number>();
    expectTypeOf<TraceContext['parentId']>().toEqualTypeOf<string | undefined>();
  });

  it('refuses wrong options at compile time (and at run time)', () => {
    // @ts-expect-error the header is a string
    const header: RequestIdOptions = { header: 42 };
    // @ts-expect-error the generator returns a string
    const generator: RequestIdOptions = { generator: () => 42 };
    // @ts-expect-error the switches are booleans
    const flag: RequestIdOptions = { echoTraceparent: 'yes' };
    for (const options of [header, generator, flag]) expect(options).toBeDefined();
    expect(() => requestId({ registry: new Registry(), ...header })).toThrow(TypeError);
    expect(() => requestId({ registry: new Registry(), ...flag })).toThrow(TypeError);
    // @ts-expect-error an unknown option
    expect(() => requestId({ headerName: 'X-Id' })).toThrow('Did you mean "header"?');
  });
});
