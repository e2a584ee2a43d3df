/**
 * Packaging and public types of @ward/security-headers: it loads from ESM and
 * from CommonJS `require`, exposes exactly its public surface, and its types
 * catch option mistakes before the runtime checks do.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Context, Middleware } from '@ward/core';
import * as pkg from '@ward/security-headers';
import { type CspDirectives, cspAdditions, cspNonce, securityHeaders, type SecurityHeadersOptions } from '@ward/security-headers';
import { describe, expect, expectTypeOf, it } from 'vitest';

const PUBLIC = ['DEFAULT_BROWSER_TYPES', 'DEFAULT_CSP_DIRECTIVES', 'DEFAULT_PERMISSIONS_POLICY', 'cspAdditions', 'cspNonce', 'securityHeaders'];

describe('packaging', () => {
  it('imports from ESM with exactly the public surface', () => {
    expect(Object.keys(pkg).sort()).toEqual(PUBLIC);
  });

  it('loads with CommonJS require (node ≥ 20.19 require(esm))', () => {
    const out = execFileSync(process.execPath, ['-e', "process.stdout.write(Object.keys(require('@ward/security-headers')).sort().join(','))"], {
      encoding: 'utf8',
    });
    expect(out).toBe(PUBLIC.join(','));
    const required = createRequire(import.meta.url)('@ward/security-headers') as typeof pkg;
    expect(typeof required.securityHeaders).toBe('function');
  });

  it('the defaults are frozen', () => {
    expect(Object.isFrozen(pkg.DEFAULT_CSP_DIRECTIVES)).toBe(true);
    expect(Object.isFrozen(pkg.DEFAULT_CSP_DIRECTIVES.scriptSrc)).toBe(true);
    expect(Object.isFrozen(pkg.DEFAULT_PERMISSIONS_POLICY['sync-xhr'])).toBe(true);
    expect(Object.isFrozen(pkg.DEFAULT_PERMISSIONS_POLICY)).toBe(true);
    expect(Object.isFrozen(pkg.DEFAULT_BROWSER_TYPES)).toBe(true);
  });
});

describe('types', () => {
  it('factories return middleware; ctx.state.cspNonce is a string', () => {
    expectTypeOf(securityHeaders()).toEqualTypeOf<Middleware>();
    expectTypeOf(cspAdditions({ scriptSrc: ['https://cdn.example.com'] })).toEqualTypeOf<Middleware>();
    expectTypeOf<Context['state']['cspNonce']>().toEqualTypeOf<string | undefined>();
    expectTypeOf(cspNonce).returns.toEqualTypeOf<string | undefined>();
  });

  it('option mistakes are type errors', () => {
    // @ts-expect-error ALLOW-FROM is obsolete and not offered
    const frame: SecurityHeadersOptions = { xFrameOptions: 'ALLOW-FROM' };
    // @ts-expect-error a source list is an array
    const single: CspDirectives = { scriptSrc: "'self'" };
    // @ts-expect-error directive keys are camelCase
    const kebab: CspDirectives = { 'script-src': ["'self'"] };
    // @ts-expect-error upgradeInsecureRequests is a flag
    const flag: CspDirectives = { upgradeInsecureRequests: 'yes' };
    // @ts-expect-error HSTS max-age is maxAgeSec, in seconds
    const hsts: SecurityHeadersOptions = { strictTransportSecurity: { maxAge: 1 } };
    // @ts-expect-error additions take source lists only
    const sandbox = () => cspAdditions({ sandbox: true });
    // @ts-expect-error Permissions-Policy members are unquoted
    const quoted: SecurityHeadersOptions = { permissionsPolicy: { features: { camera: ["'self'"] } } };
    expect([frame, single, kebab, flag, hsts, sandbox, quoted]).toHaveLength(7);
  });
});
