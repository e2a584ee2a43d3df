/**
 * Packaging and public types of @ward/timeout: it loads from ESM and from
 * CommonJS `require`, exposes exactly its public surface, declares
 * `ctx.state.deadline`, and its types catch option mistakes.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Middleware, WardState } from '@ward/core';
import * as pkg from '@ward/timeout';
import { remainingMs, TimeoutError, timeout, type TimeoutOptions, type TimeoutStatus } from '@ward/timeout';
import { describe, expect, expectTypeOf, it } from 'vitest';

const PUBLIC = ['MAX_TIMEOUT_MS', 'TIMEOUT_CODE', 'TIMEOUT_TITLE', 'TimeoutError', 'isTimeoutError', 'remainingMs', 'timeout'];

describe('packaging', () => {
  it('imports from ESM with exactly the public surface', () => {
    expect(Object.keys(pkg).sort()).toEqual(PUBLIC);
    expect([pkg.MAX_TIMEOUT_MS, pkg.TIMEOUT_CODE, pkg.TIMEOUT_TITLE]).toEqual([2_147_483_647, 'TIMEOUT', 'Response Timeout']);
  });

  it('loads with CommonJS require (node ≥ 20.19 require(esm))', () => {
    const out = execFileSync(process.execPath, ['-e', "process.stdout.write(Object.keys(require('@ward/timeout')).sort().join(','))"], {
      encoding: 'utf8',
    });
    expect(out).toBe(PUBLIC.join(','));
    const required = createRequire(import.meta.url)('@ward/timeout') as typeof pkg;
    expect(typeof required.timeout).toBe('function');
    expect(required.isTimeoutError(new TimeoutError(1, 1)), 'the brand works across the two loads').toBe(true);
  });
});

describe('types', () => {
  it('the factory makes a Middleware; options are typed', () => {
    expectTypeOf(timeout(1_000)).toEqualTypeOf<Middleware>();
    expectTypeOf(timeout({ timeoutMs: 1_000, status: 504 })).toEqualTypeOf<Middleware>();
    expectTypeOf<TimeoutStatus>().toEqualTypeOf<503 | 504>();
    // @ts-expect-error timeoutMs is required
    const missing: TimeoutOptions = { status: 503 };
    // @ts-expect-error 408 is not a timeout status for a handler (and is refused at run time too)
    const wrongStatus: TimeoutOptions = { timeoutMs: 1, status: 408 };
    // @ts-expect-error retryAfterSec is a number of seconds
    const stringly: TimeoutOptions = { timeoutMs: 1, retryAfterSec: '5' };
    expect([missing, wrongStatus, stringly]).toHaveLength(3);
  });

  it('declares ctx.state.deadline on WardState, and remainingMs reads it', () => {
    expectTypeOf<WardState['deadline']>().toEqualTypeOf<number | undefined>();
    const state: WardState = { deadline: 10 };
    expect(remainingMs({ state }, () => 4)).toBe(6);
    // @ts-expect-error a deadline is epoch milliseconds, not a Date
    const bad: WardState = { deadline: new Date() };
    expect(bad).toBeDefined();
  });

  it('TimeoutError carries its budget and deadline', () => {
    const error = new TimeoutError(5, 10);
    expectTypeOf(error.timeoutMs).toEqualTypeOf<number>();
    expectTypeOf(error.deadline).toEqualTypeOf<number>();
    expect(pkg.isTimeoutError(error)).toBe(true);
  });
});
