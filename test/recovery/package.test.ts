/**
 * Packaging and public types of @ward/recovery: it loads from ESM and from
 * CommonJS `require` with exactly its public surface, and its types accept
 * what they should and refuse what they should not.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Context, Middleware } from '@ward/core';
import * as surface from '@ward/recovery';
import {
  type AnyReport,
  type ProcessErrorReport,
  type RecoveryOptions,
  type RecoveryReport,
  type RecoveryReporter,
  installProcessGuard,
  jsonReporter,
  recovery,
} from '@ward/recovery';
import { describe, expect, expectTypeOf, it } from 'vitest';

const PUBLIC = [
  'ALWAYS_REDACTED_HEADERS',
  'DEFAULT_MAX_STACK_CHARS',
  'REDACTED',
  'ThrownValueError',
  'installProcessGuard',
  'jsonReporter',
  'recovery',
  'reportServerFaults',
];

describe('packaging', () => {
  it('imports from ESM with exactly the public surface', () => {
    expect(Object.keys(surface).sort()).toEqual(PUBLIC);
    expect(surface.ALWAYS_REDACTED_HEADERS).toEqual(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token']);
    expect(Object.isFrozen(surface.ALWAYS_REDACTED_HEADERS)).toBe(true);
    expect([surface.REDACTED, surface.DEFAULT_MAX_STACK_CHARS]).toEqual(['[redacted]', 4096]);
  });

  it('loads with CommonJS require (node ≥ 20.19 require(esm))', () => {
    const out = execFileSync(process.execPath, ['-e', "process.stdout.write(Object.keys(require('@ward/recovery')).sort().join(','))"], {
      encoding: 'utf8',
    });
    expect(out).toBe(PUBLIC.join(','));
    const required = createRequire(import.meta.url)('@ward/recovery') as typeof surface;
    expect(typeof required.recovery).toBe('function');
  });
});

describe('types', () => {
  it('the factory makes middleware; reporters are typed by the report they take', () => {
    expectTypeOf(recovery).parameter(0).toEqualTypeOf<RecoveryOptions | undefined>();
    expectTypeOf(recovery()).toEqualTypeOf<Middleware>();
    expectTypeOf(installProcessGuard).returns.toEqualTypeOf<() => void>();
    // jsonReporter takes both kinds of report, so it fits both places.
    expectTypeOf(jsonReporter()).toEqualTypeOf<RecoveryReporter<AnyReport>>();
    const forRequests: RecoveryOptions['onError'] = jsonReporter();
    const forProcess: RecoveryReporter<ProcessErrorReport> = jsonReporter();
    expect([typeof forRequests, typeof forProcess]).toEqual(['function', 'function']);
    // A reporter written for request reports cannot be handed to the process guard.
    const requestOnly = (report: RecoveryReport): string => report.path;
    // @ts-expect-error a ProcessErrorReport has no path
    expect(() => installProcessGuard({ onError: requestOnly, exitCode: -1 })).toThrow(RangeError);
    expectTypeOf<RecoveryReport['kind']>().toEqualTypeOf<'http_error' | 'error' | 'non_error'>();
    expectTypeOf<NonNullable<RecoveryOptions['userId']>>().toEqualTypeOf<(ctx: Context) => string | undefined>();
    // @ts-expect-error maxStackChars is a number of characters
    const bad: RecoveryOptions = { maxStackChars: '4k' };
    expect(bad).toBeDefined();
  });

  it('ctx.state.recoveredError is declared on WardState', () => {
    expectTypeOf<Context['state']['recoveredError']>().toEqualTypeOf<Error | undefined>();
  });
});
