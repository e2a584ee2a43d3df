/**
 * Packaging and public types of @ward/cors: it loads from ESM and from
 * CommonJS `require`, exposes exactly its public surface, and its types
 * catch option mistakes.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Context, Middleware, WardState } from '@ward/core';
import * as corsPackage from '@ward/cors';
import { type CorsOptions, type CorsRejection, type OriginFunction, cors } from '@ward/cors';
import { Registry } from 'prom-client';
import { describe, expect, expectTypeOf, it } from 'vitest';

const PUBLIC = [
  'DEFAULT_MAX_AGE_SEC',
  'DEFAULT_METHODS',
  'MAX_MAX_AGE_SEC',
  'MAX_ORIGIN_LENGTH',
  'cors',
  'isSerializedOrigin',
  'normalizeOrigin',
];

describe('packaging', () => {
  it('imports from ESM with exactly the public surface', () => {
    expect(Object.keys(corsPackage).sort()).toEqual(PUBLIC);
  });

  it('loads with CommonJS require (node ≥ 20.19 require(esm))', () => {
    const out = execFileSync(process.execPath, ['-e', "process.stdout.write(Object.keys(require('@ward/cors')).sort().join(','))"], {
      encoding: 'utf8',
    });
    expect(out).toBe(PUBLIC.join(','));
    const required = createRequire(import.meta.url)('@ward/cors') as typeof corsPackage;
    expect(typeof required.cors).toBe('function');
    expect(required.normalizeOrigin('HTTPS://A.EXAMPLE:443')).toBe('https://a.example');
  });
});

describe('types', () => {
  it('cors() returns middleware; options are typed; state gains corsOrigin', () => {
    const registry = new Registry();
    expectTypeOf(cors({ origin: ['https://a.example'], registry })).toEqualTypeOf<Middleware>();
    const asyncOrigin: OriginFunction = async (origin: string, ctx: Context) => origin.endsWith(ctx.req.path);
    expectTypeOf(cors({ origin: asyncOrigin, registry })).toEqualTypeOf<Middleware>();
    expectTypeOf<WardState['corsOrigin']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<CorsRejection['reason']>().toEqualTypeOf<'origin' | 'method' | 'headers' | 'error'>();
    // @ts-expect-error origin is required: there is no implicit '*'
    const noOrigin: CorsOptions = { credentials: true };
    expect(noOrigin).toBeDefined();
    // @ts-expect-error maxAgeSec is a number of seconds
    const badAge: CorsOptions = { origin: '*', maxAgeSec: '600' };
    expect(badAge).toBeDefined();
    // @ts-expect-error the origin function returns a boolean, not the origin (the cors package's callback habit)
    const badFn: CorsOptions = { origin: (origin: string) => origin };
    expect(badFn).toBeDefined();
    // @ts-expect-error allowedHeaders is a list or 'reflect'
    const badHeaders: CorsOptions = { origin: '*', allowedHeaders: 'content-type' };
    expect(badHeaders).toBeDefined();
  });
});
