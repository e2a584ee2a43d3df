/**
 * securityHeaders() options: every header configurable or off, resolved
 * exactly at factory time, and every mistake thrown there (TypeError for a
 * type, RangeError for a value) with the option named — never per request.
 */
import { compose } from '@ward/core';
import { securityHeaders, type SecurityHeadersOptions } from '@ward/security-headers';
import { describe, expect, it } from 'vitest';
import { browserOf, DEFAULT_CSP, described, PERMISSIONS } from './helpers.js';

/** Builds with options the types would refuse: the runtime checks are what is tested. */
const build = (options: unknown) => securityHeaders(options as SecurityHeadersOptions);

describe('defaults', () => {
  it('resolves the API set and the browser set exactly', () => {
    expect(described(securityHeaders())).toEqual({
      api: {
        'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Cross-Origin-Resource-Policy': 'same-origin',
      },
      browser: {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Origin-Agent-Cluster': '?1',
        'Referrer-Policy': 'no-referrer',
        'Permissions-Policy': PERMISSIONS,
        'X-DNS-Prefetch-Control': 'off',
        'X-Download-Options': 'noopen',
        'X-Permitted-Cross-Domain-Policies': 'none',
        'X-XSS-Protection': '0',
        'Content-Security-Policy': DEFAULT_CSP,
      },
      browserTypes: ['text/html', 'application/xhtml+xml', 'image/svg+xml', 'text/xml', 'application/xml'],
      removeHeaders: ['X-Powered-By'],
      hstsOverPlainHttp: false,
    });
  });

  it('is named securityHeaders, and registering the factory without its call fails at start', () => {
    expect(securityHeaders().name).toBe('securityHeaders');
    expect(() => compose([securityHeaders as never])).toThrow(/factory "securityHeaders".*Call it: securityHeaders\(\{ … \}\)/);
  });
});

describe('every header configurable or off', () => {
  it('turns every header off', () => {
    const off = securityHeaders({
      contentSecurityPolicy: false,
      strictTransportSecurity: false,
      xContentTypeOptions: false,
      xFrameOptions: false,
      crossOriginResourcePolicy: false,
      crossOriginOpenerPolicy: false,
      crossOriginEmbedderPolicy: false,
      originAgentCluster: false,
      referrerPolicy: false,
      permissionsPolicy: false,
      xDnsPrefetchControl: false,
      xDownloadOptions: false,
      xPermittedCrossDomainPolicies: false,
      xXssProtection: false,
      removeHeaders: [],
    });
    expect(described(off)).toMatchObject({ api: {}, browser: {}, removeHeaders: [] });
  });

  it('takes every documented value', () => {
    const custom = securityHeaders({
      strictTransportSecurity: { maxAgeSec: 31_536_000, includeSubDomains: true, preload: true, httpsOnly: false },
      xFrameOptions: 'SAMEORIGIN',
      crossOriginResourcePolicy: 'same-site',
      crossOriginOpenerPolicy: 'noopener-allow-popups',
      crossOriginEmbedderPolicy: 'credentialless',
      referrerPolicy: ['no-referrer', 'strict-origin-when-cross-origin'],
      permissionsPolicy: { useDefaults: false, features: { geolocation: ['self', 'https://maps.example'], fullscreen: ['*'], camera: [] } },
      xDnsPrefetchControl: 'on',
      xPermittedCrossDomainPolicies: 'master-only',
      reportingEndpoints: { 'csp-endpoint': 'https://r.example/csp', local: '/reports' },
      removeHeaders: ['X-Powered-By', 'Server'],
      browserTypes: ['Text/HTML', 'text/javascript'],
    });
    expect(described(custom)).toEqual({
      api: {
        'Strict-Transport-Security': 'max-age=31536000; includeSubDomains; preload',
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'SAMEORIGIN',
        'Cross-Origin-Resource-Policy': 'same-site',
      },
      browser: {
        'Cross-Origin-Opener-Policy': 'noopener-allow-popups',
        'Cross-Origin-Embedder-Policy': 'credentialless',
        'Origin-Agent-Cluster': '?1',
        'Referrer-Policy': 'no-referrer, strict-origin-when-cross-origin',
        'Permissions-Policy': 'geolocation=(self "https://maps.example"), fullscreen=*, camera=()',
        'Reporting-Endpoints': 'csp-endpoint="https://r.example/csp", local="/reports"',
        'X-DNS-Prefetch-Control': 'on',
        'X-Download-Options': 'noopen',
        'X-Permitted-Cross-Domain-Policies': 'master-only',
        'X-XSS-Protection': '0',
        'Content-Security-Policy': DEFAULT_CSP,
      },
      browserTypes: ['text/html', 'text/javascript'],
      removeHeaders: ['X-Powered-By', 'Server'],
      hstsOverPlainHttp: true,
    });
  });

  it('merges Permissions-Policy features over the OWASP list; null removes one', () => {
    const policy = browserOf(securityHeaders({ permissionsPolicy: { features: { geolocation: ['self'], unload: null, 'attribution-reporting': [] } } }))['Permissions-Policy'];
    expect(policy).toBe(PERMISSIONS.replace('geolocation=()', 'geolocation=(self)').replace(', unload=()', '') + ', attribution-reporting=()');
  });

  it("browserTypes '*' is described as such", () => {
    expect(described(securityHeaders({ browserTypes: '*' }))['browserTypes']).toBe('*');
  });
});

describe('option mistakes are thrown at the factory, naming the option', () => {
  it.each<[string, unknown, ErrorConstructor, RegExp]>([
    ['not an object', 'strict', TypeError, /securityHeaders\(options\) must be an object, got "strict"/],
    ['an unknown option', { xFrameOption: 'DENY' }, RangeError, /unknown option "xFrameOption". Did you mean "xFrameOptions"\?/],
    ["helmet's name for HSTS", { hsts: { maxAge: 1 } }, RangeError, /unknown option "hsts". Did you mean "strictTransportSecurity"\?/],
    ["helmet's frameguard", { frameguard: { action: 'deny' } }, RangeError, /Did you mean "xFrameOptions"\?/],
    ['HSTS maxAge (helmet spelling)', { strictTransportSecurity: { maxAge: 1 } }, RangeError, /strictTransportSecurity: unknown option "maxAge". Did you mean "maxAgeSec"\?/],
    ['HSTS includeSubdomains (misspelt)', { strictTransportSecurity: { includeSubdomains: true } }, RangeError, /unknown option "includeSubdomains". Did you mean "includeSubDomains"\?/],
    ['HSTS max-age NaN', { strictTransportSecurity: { maxAgeSec: Number.NaN } }, RangeError, /maxAgeSec must be a non-negative integer of seconds, got NaN/],
    ['HSTS max-age Infinity', { strictTransportSecurity: { maxAgeSec: Number.POSITIVE_INFINITY } }, RangeError, /got Infinity/],
    ['HSTS max-age negative', { strictTransportSecurity: { maxAgeSec: -1 } }, RangeError, /got -1/],
    ['HSTS max-age fractional', { strictTransportSecurity: { maxAgeSec: 1.5 } }, RangeError, /got 1.5/],
    ['HSTS max-age BigInt', { strictTransportSecurity: { maxAgeSec: 10n } }, TypeError, /maxAgeSec must be a number of seconds, got 10n/],
    ['HSTS max-age string', { strictTransportSecurity: { maxAgeSec: '31536000' } }, TypeError, /got "31536000"/],
    ['HSTS preload too short', { strictTransportSecurity: { maxAgeSec: 86_400, preload: true } }, RangeError, /preload needs maxAgeSec ≥ 31536000 and includeSubDomains/],
    ['HSTS preload without subdomains', { strictTransportSecurity: { includeSubDomains: false, preload: true } }, RangeError, /preload needs/],
    ['HSTS true', { strictTransportSecurity: true }, TypeError, /strictTransportSecurity must be an object, got true/],
    ['X-Frame-Options ALLOW-FROM', { xFrameOptions: 'ALLOW-FROM https://a.example' }, RangeError, /xFrameOptions must be one of "DENY", "SAMEORIGIN" or false/],
    ['X-Frame-Options lower-case', { xFrameOptions: 'deny' }, RangeError, /Did you mean "DENY"\?/],
    ['X-Frame-Options true', { xFrameOptions: true }, TypeError, /xFrameOptions must be one of/],
    ['nosniff as a string', { xContentTypeOptions: 'nosniff' }, TypeError, /xContentTypeOptions must be a boolean, got "nosniff"/],
    ['COOP typo', { crossOriginOpenerPolicy: 'same-orign' }, RangeError, /Did you mean "same-origin"\?/],
    ['COEP unknown', { crossOriginEmbedderPolicy: 'require-cors' }, RangeError, /crossOriginEmbedderPolicy must be one of/],
    ['Referrer-Policy unknown', { referrerPolicy: 'none' }, RangeError, /referrerPolicy must be one of/],
    ['Referrer-Policy empty list', { referrerPolicy: [] }, RangeError, /referrerPolicy is an empty list/],
    ['Referrer-Policy repeated', { referrerPolicy: ['origin', 'origin'] }, RangeError, /referrerPolicy\[1\]: "origin" is listed twice/],
    ['X-XSS-Protection 1', { xXssProtection: '1; mode=block' }, TypeError, /xXssProtection must be a boolean/],
    ['removeHeaders not a list', { removeHeaders: 'X-Powered-By' }, TypeError, /removeHeaders must be an array of header names/],
    ['removeHeaders with CRLF', { removeHeaders: ['X-A\r\nX-B'] }, TypeError, /removeHeaders\[0\] must be a header name, got "X-A\\r\\nX-B"/],
    ['browserTypes with parameters', { browserTypes: ['text/html; charset=utf-8'] }, RangeError, /browserTypes\[0\] must be a media type without parameters/],
    ['browserTypes a string', { browserTypes: 'text/html' }, TypeError, /browserTypes must be an array of media types or '\*'/],
    ['nonceBytes too few', { nonceBytes: 8 }, RangeError, /nonceBytes must be an integer from 16 \(128 bits, CSP3 §7.2\) to 64, got 8/],
    ['nonceBytes NaN', { nonceBytes: Number.NaN }, RangeError, /got NaN/],
    ['randomBytes not a function', { randomBytes: 42 }, TypeError, /randomBytes must be a function/],
    ['Permissions-Policy quoted self', { permissionsPolicy: { features: { camera: ["'self'"] } } }, RangeError, /write self without quotes/],
    ['Permissions-Policy bad feature', { permissionsPolicy: { features: { 'Camera Feature': [] } } }, RangeError, /is not a feature name/],
    ['Permissions-Policy origin with a path', { permissionsPolicy: { features: { camera: ['https://a.example/x'] } } }, RangeError, /must be self, \*, src or an origin/],
    ['Permissions-Policy * with others', { permissionsPolicy: { features: { camera: ['*', 'self'] } } }, RangeError, /"\*" allows every origin and must be alone/],
    ['Permissions-Policy not a list', { permissionsPolicy: { features: { camera: 'none' } } }, TypeError, /must be an array of allowlist members/],
    ['Permissions-Policy nothing left', { permissionsPolicy: { useDefaults: false } }, RangeError, /names no feature/],
    ['Reporting-Endpoints empty', { reportingEndpoints: {} }, RangeError, /reportingEndpoints is an empty list/],
    ['Reporting-Endpoints upper-case name', { reportingEndpoints: { CSP: 'https://r.example' } }, RangeError, /"CSP" is not an endpoint name/],
    ['Reporting-Endpoints http URL', { reportingEndpoints: { csp: 'http://r.example/csp' } }, RangeError, /must be an https URL or a path/],
    ['Reporting-Endpoints javascript URL', { reportingEndpoints: { csp: 'javascript:alert(1)' } }, RangeError, /must be an https URL or a path/],
  ])('%s', (_name, options, type, message) => {
    expect(() => build(options)).toThrow(type);
    expect(() => build(options)).toThrow(message);
  });

  it('accepts http://localhost reporting endpoints (potentially trustworthy)', () => {
    expect(browserOf(securityHeaders({ reportingEndpoints: { dev: 'http://localhost:8080/r' } }))['Reporting-Endpoints']).toBe('dev="http://localhost:8080/r"');
  });
});

describe('security: hostile configuration values never reach a header', () => {
  it.each<[string, unknown, RegExp]>([
    ['CRLF in a Reporting-Endpoints URL', { reportingEndpoints: { csp: 'https://r.example/\r\nSet-Cookie: a=b' } }, /contains a space, quote, backslash, control or non-ASCII character/],
    ['a non-ASCII Reporting-Endpoints URL', { reportingEndpoints: { csp: 'https://exämple.com/r' } }, /non-ASCII character/],
    ['a quote in a Reporting-Endpoints URL', { reportingEndpoints: { csp: 'https://r.example/"x' } }, /contains a space, quote/],
    ['CRLF in a Permissions-Policy origin', { permissionsPolicy: { features: { camera: ['https://a.example\r\nX: y'] } } }, /must be self, \*, src or an origin/],
    ['a quote in a Permissions-Policy origin', { permissionsPolicy: { features: { camera: ['https://a.example"'] } } }, /must be self, \*, src or an origin/],
    ['a comma in a Permissions-Policy feature', { permissionsPolicy: { features: { 'camera=*, geolocation': [] } } }, /is not a feature name/],
  ])('%s is refused', (_name, options, message) => {
    expect(() => build(options)).toThrow(RangeError);
    expect(() => build(options)).toThrow(message);
  });

  it('a parsed __proto__ or constructor key is an unknown option, never an inherited one', () => {
    expect(() => build(JSON.parse('{"__proto__": {"xFrameOptions": false}}'))).toThrow(/unknown option "__proto__"/);
    expect(() => build({ constructor: {} })).toThrow(/unknown option "constructor"/);
  });
});
