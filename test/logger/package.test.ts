/**
 * Packaging and public types of @ward/logger: it loads from ESM and from
 * CommonJS `require`, exposes exactly its public surface, and its types
 * accept pino and refuse wrong options.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Middleware } from '@ward/core';
import * as logger from '@ward/logger';
import { type AccessLogOptions, type AccessLogRecord, type AuditLogOptions, type StructuredLogger, accessLog, auditLog, jsonLinesLogger } from '@ward/logger';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, expectTypeOf, it } from 'vitest';

const PUBLIC = ['ALWAYS_REDACTED_HEADERS', 'DEFAULT_AUDIT_METHODS', 'REDACTED', 'SECRET_NAME', 'accessLog', 'auditLog', 'defaultLogger', 'jsonLinesLogger'];

describe('packaging', () => {
  it('imports from ESM with exactly the public surface', () => {
    expect(Object.keys(logger).sort()).toEqual(PUBLIC);
    expect(logger.REDACTED).toBe('[redacted]');
    expect(logger.ALWAYS_REDACTED_HEADERS).toEqual(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token']);
    expect(Object.isFrozen(logger.ALWAYS_REDACTED_HEADERS)).toBe(true);
    expect(Object.isFrozen(logger.DEFAULT_AUDIT_METHODS)).toBe(true);
  });

  it('loads with CommonJS require (node ≥ 20.19 require(esm))', () => {
    const out = execFileSync(process.execPath, ['-e', "process.stdout.write(Object.keys(require('@ward/logger')).sort().join(','))"], {
      encoding: 'utf8',
    });
    expect(out).toBe(PUBLIC.join(','));
    const required = createRequire(import.meta.url)('@ward/logger') as typeof logger;
    expect(typeof required.accessLog).toBe('function');
  });
});

describe('types', () => {
  it('factories return middleware; pino, a pino child and the JSON-lines logger are StructuredLoggers', () => {
    const registry = new Registry();
    expectTypeOf(accessLog({ metrics: { registry } })).toEqualTypeOf<Middleware>();
    expectTypeOf(auditLog({ metrics: { registry } })).toEqualTypeOf<Middleware>();
    expectTypeOf(pino({ enabled: false })).toExtend<StructuredLogger>();
    expectTypeOf(pino({ enabled: false }).child({ a: 1 })).toExtend<StructuredLogger>();
    expectTypeOf(jsonLinesLogger()).toExtend<StructuredLogger>();
    expectTypeOf<AccessLogRecord['bytes']>().toEqualTypeOf<number | null>();
  });

  it('wrong options do not type-check (and are refused at run time)', () => {
    // @ts-expect-error a logger needs info, warn and error
    const noError: AccessLogOptions = { logger: { info() {}, warn() {} } };
    expect(() => accessLog(noError)).toThrow(TypeError);
    // @ts-expect-error slowMs is a number of milliseconds
    const slow: AccessLogOptions = { slowMs: '1s' };
    expect(() => accessLog(slow)).toThrow(TypeError);
    // @ts-expect-error methods is a list
    const methods: AuditLogOptions = { methods: 'POST' };
    expect(() => auditLog(methods)).toThrow(TypeError);
    // @ts-expect-error userId returns the id, not a user object
    const userId: AccessLogOptions = { userId: () => ({ id: 1 }) };
    expect(userId).toBeDefined();
  });
});
