/**
 * The CSP from a typed directive object: serialization, defaults and
 * removals, report-only, and validation at factory time (unknown directive,
 * unquoted keyword, bad hash, fixed nonce, injection of `;` `,` CR/LF) —
 * a bad policy is thrown at configuration, never sent.
 */
import { cspAdditions, securityHeaders, type SecurityHeadersOptions } from '@ward/security-headers';
import { describe, expect, it } from 'vitest';
import { browserOf, DEFAULT_CSP } from './helpers.js';

const csp = (options: SecurityHeadersOptions): Record<string, string> => {
  const browser = browserOf(securityHeaders(options));
  const out: Record<string, string> = {};
  for (const name of ['Content-Security-Policy', 'Content-Security-Policy-Report-Only']) if (browser[name] !== undefined) out[name] = browser[name];
  return out;
};
const directives = (value: unknown): SecurityHeadersOptions => ({ contentSecurityPolicy: { directives: value as never } });
const SHA256 = `'sha256-${Buffer.alloc(32, 7).toString('base64')}'`;

describe('serialization', () => {
  it('the default policy: helmet 8 with frame-ancestors none', () => {
    expect(csp({})).toEqual({ 'Content-Security-Policy': DEFAULT_CSP });
  });

  it('replaces defaults by name, removes with null, appends new directives in order', () => {
    expect(
      csp(directives({ scriptSrc: ["'self'", 'https://cdn.example.com', SHA256], styleSrc: null, upgradeInsecureRequests: null, connectSrc: ["'self'", 'wss:'], workerSrc: ["'none'"] })),
    ).toEqual({
      'Content-Security-Policy':
        "default-src 'self'; base-uri 'self'; font-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; img-src 'self' data:; " +
        `object-src 'none'; script-src 'self' https://cdn.example.com ${SHA256}; script-src-attr 'none'; connect-src 'self' wss:; worker-src 'none'`,
    });
  });

  it('useDefaults: false sends exactly the given directives, every kind of value', () => {
    expect(
      csp({
        contentSecurityPolicy: {
          useDefaults: false,
          directives: {
            defaultSrc: ["'none'"],
            sandbox: ['allow-scripts', 'allow-forms'],
            reportUri: ['/csp-reports'],
            trustedTypes: ['app', "'allow-duplicates'"],
            requireTrustedTypesFor: ["'script'"],
            webrtc: "'block'",
            frameAncestors: ["'self'", 'https://partner.example'],
            imgSrc: ['*', 'data:', '*.cdn.example:443/img/'],
          },
        },
      }),
    ).toEqual({
      'Content-Security-Policy':
        "default-src 'none'; sandbox allow-scripts allow-forms; report-uri /csp-reports; trusted-types app 'allow-duplicates'; " +
        "require-trusted-types-for 'script'; webrtc 'block'; frame-ancestors 'self' https://partner.example; img-src * data: *.cdn.example:443/img/",
    });
  });

  it('sandbox: true is an empty sandbox (every restriction)', () => {
    expect(csp({ contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'self'"], sandbox: true } } })).toEqual({
      'Content-Security-Policy': "default-src 'self'; sandbox",
    });
  });

  it('reportOnly sends the policy as Content-Security-Policy-Report-Only instead', () => {
    expect(csp({ contentSecurityPolicy: { reportOnly: true } })).toEqual({ 'Content-Security-Policy-Report-Only': DEFAULT_CSP });
  });

  it('a report-only policy beside the enforcing one; it may lack defaultSrc', () => {
    expect(
      csp({
        contentSecurityPolicyReportOnly: { useDefaults: false, directives: { scriptSrc: ["'nonce'", "'strict-dynamic'"], reportTo: 'csp' } },
        reportingEndpoints: { csp: 'https://r.example/csp' },
      }),
    ).toEqual({
      'Content-Security-Policy': DEFAULT_CSP,
      'Content-Security-Policy-Report-Only': "script-src 'nonce-…' 'strict-dynamic'; report-to csp",
    });
  });
});

describe('validation at the factory', () => {
  it.each<[string, unknown, ErrorConstructor, RegExp]>([
    ['an unknown directive', { scriptSource: ["'self'"] }, RangeError, /contentSecurityPolicy.directives: unknown directive "scriptSource". Did you mean "scriptSrc"\?/],
    ['a kebab-case key', { 'script-src': ["'self'"] }, RangeError, /unknown directive "script-src" \(directive keys are camelCase\). Did you mean "scriptSrc"\?/],
    ['a deprecated directive', { blockAllMixedContent: true }, RangeError, /"blockAllMixedContent" is not supported: it is deprecated .* use upgradeInsecureRequests: true/],
    ['a removed directive', { prefetchSrc: ["'self'"] }, RangeError, /"prefetchSrc" is not supported: it was removed/],
    ['unquoted self (helmet 8 check)', { scriptSrc: ['self'] }, RangeError, /scriptSrc\[0\]: "self" must be quoted: "'self'"/],
    ['unquoted none', { objectSrc: ['none'] }, RangeError, /"none" must be quoted: "'none'"/],
    ['unquoted unsafe-inline', { styleSrc: ["'self'", 'unsafe-inline'] }, RangeError, /styleSrc\[1\]: "unsafe-inline" must be quoted/],
    ['unquoted hash', { scriptSrc: [SHA256.slice(1, -1)] }, RangeError, /must be quoted: "'sha256-/],
    ['upper-case keyword', { scriptSrc: ["'SELF'"] }, RangeError, /keywords are lower-case: "'self'"/],
    ['an unknown keyword', { scriptSrc: ["'unsafe-everything'"] }, RangeError, /unknown keyword "'unsafe-everything'"/],
    ['a fixed nonce', { scriptSrc: ["'nonce-abc123'"] }, RangeError, /a fixed nonce "'nonce-abc123'" defeats the purpose.*write "'nonce'"/],
    ['a truncated sha256', { scriptSrc: ["'sha256-abc='"] }, RangeError, /is not a sha256 digest \(expected 32 bytes in base64\)/],
    ['a sha512 length given as sha256', { scriptSrc: [`'sha256-${Buffer.alloc(64).toString('base64')}'`] }, RangeError, /is not a sha256 digest/],
    ["'none' beside another source", { imgSrc: ["'none'", "'self'"] }, RangeError, /"'none'" must be the only source of img-src/],
    ['an empty list', { scriptSrc: [] }, RangeError, /scriptSrc is an empty list: use \["'none'"\]/],
    ['a string instead of a list', { scriptSrc: "'self'" }, TypeError, /scriptSrc must be an array, got "'self'"/],
    ['a number source', { scriptSrc: [42] }, TypeError, /scriptSrc\[0\] must be a string, got 42/],
    ['a repeated source', { scriptSrc: ["'self'", "'self'"] }, RangeError, /scriptSrc\[1\]: "'self'" is listed twice/],
    ['frameAncestors with unsafe-inline', { frameAncestors: ["'unsafe-inline'"] }, RangeError, /frameAncestors takes only "'self'", "'none'", schemes and hosts/],
    ['an unknown sandbox flag', { sandbox: ['allow-scripts', 'allow-everything'] }, RangeError, /unknown sandbox flag "allow-everything"/],
    ['sandbox false', { sandbox: false }, TypeError, /sandbox must be an array, got false/],
    ['upgradeInsecureRequests false', { upgradeInsecureRequests: false }, RangeError, /false is not a value; use null to remove the directive/],
    ['upgradeInsecureRequests a string', { upgradeInsecureRequests: 'yes' }, TypeError, /upgradeInsecureRequests must be a boolean/],
    ['reportTo with upper case', { reportTo: 'CSP' }, RangeError, /reportTo must be a Reporting-Endpoints name/],
    ['reportUri javascript:', { reportUri: ['javascript:alert(1)'] }, RangeError, /must be an http\(s\) URL or a path/],
    ['requireTrustedTypesFor unquoted', { requireTrustedTypesFor: ['script'] }, RangeError, /must be "'script'" \(quoted\)/],
    ['trustedTypes unquoted none', { trustedTypes: ['none'] }, RangeError, /"none" must be quoted: "'none'"/],
    ['webrtc unquoted', { webrtc: 'allow' }, RangeError, /webrtc must be one of "'allow'", "'block'"/],
    ['not an object', "default-src 'self'", TypeError, /contentSecurityPolicy.directives must be an object/],
  ])('%s', (_name, value, type, message) => {
    expect(() => securityHeaders(directives(value))).toThrow(type);
    expect(() => securityHeaders(directives(value))).toThrow(message);
  });

  it('an enforcing policy without defaultSrc is refused; useDefaults off and nothing given is refused', () => {
    expect(() => securityHeaders({ contentSecurityPolicy: { directives: { defaultSrc: null } } })).toThrow(/an enforcing policy needs defaultSrc/);
    expect(() => securityHeaders({ contentSecurityPolicy: { useDefaults: false } })).toThrow(/has no directives: an empty policy; set false to send no policy/);
  });

  it('an unknown policy option, and reportOnly in the report-only slot', () => {
    expect(() => securityHeaders({ contentSecurityPolicy: { reportonly: true } as never })).toThrow(/unknown option "reportonly". Did you mean "reportOnly"\?/);
    expect(() => securityHeaders({ contentSecurityPolicyReportOnly: { reportOnly: true } as never })).toThrow(/contentSecurityPolicyReportOnly: unknown option "reportOnly"/);
  });

  it('two report-only policies are refused', () => {
    expect(() => securityHeaders({ contentSecurityPolicy: { reportOnly: true }, contentSecurityPolicyReportOnly: {} })).toThrow(
      /contentSecurityPolicy is already report-only; drop its reportOnly/,
    );
  });

  it('reportTo must name a defined Reporting-Endpoints entry', () => {
    expect(() => securityHeaders({ reportingEndpoints: { main: 'https://r.example' }, contentSecurityPolicy: { directives: { reportTo: 'csp' } } })).toThrow(
      /directives.reportTo names "csp", which reportingEndpoints does not define \("main"\)/,
    );
  });

  it('cspAdditions checks its directives the same way, and only adds', () => {
    expect(() => cspAdditions({ scriptSrc: ['self'] })).toThrow(/cspAdditions\(directives\).scriptSrc\[0\]: "self" must be quoted/);
    expect(() => cspAdditions({ sandbox: ['allow-scripts'] } as never)).toThrow(/unknown directive "sandbox"/);
    expect(() => cspAdditions({ imgSrc: ["'none'"] })).toThrow(/additions only add sources/);
    expect(() => cspAdditions({})).toThrow(/adds nothing/);
    expect(() => cspAdditions('https://cdn' as never)).toThrow(TypeError);
    expect(cspAdditions({ scriptSrc: ['https://cdn.example.com'] }).name).toBe('cspAdditions');
  });
});

describe('security: injection through directive values is refused at the factory', () => {
  it.each<[string, string]>([
    ['a semicolon starting a new directive', "https://a.example; script-src 'unsafe-inline'"],
    ['a bare semicolon', 'https://a.example;'],
    ['a comma starting a second policy', "https://a.example, script-src 'unsafe-inline'"],
    ['CR LF splitting the header', 'https://a.example\r\nSet-Cookie: sid=evil'],
    ['a lone LF', 'https://a.example\nX: y'],
    ['a NUL byte', 'https://a.example\u0000'],
    ['a tab', 'https://a.example\thttps://b.example'],
    ['a space joining two sources', 'https://a.example https://b.example'],
    ['a quote closing a keyword', "https://a.example'"],
    ['a non-ASCII host', 'https://exämple.com'],
  ])('%s', (_name, source) => {
    expect(() => securityHeaders(directives({ scriptSrc: ["'self'", source] }))).toThrow(RangeError);
    expect(() => securityHeaders(directives({ scriptSrc: ["'self'", source] }))).toThrow(/scriptSrc\[1\]/);
    expect(() => cspAdditions({ scriptSrc: [source] })).toThrow(RangeError);
  });

  it('injection through reportUri, trustedTypes and reportTo is refused', () => {
    expect(() => securityHeaders(directives({ reportUri: ['/r; script-src *'] }))).toThrow(/reportUri\[0\]: .* contains a space, quote, ";" ","/);
    expect(() => securityHeaders(directives({ trustedTypes: ['a; script-src *'] }))).toThrow(/is not a Trusted Types policy name/);
    expect(() => securityHeaders(directives({ reportTo: 'csp\r\nX: y' }))).toThrow(/reportTo must be a Reporting-Endpoints name/);
  });

  it('a non-ASCII reportUri is refused at configuration (node would refuse the header on every HTML answer, or send raw bytes)', () => {
    for (const uri of ['https://r.example/\u0100', 'https://r.example/café', 'https://r.example/a\u0085b']) {
      expect(() => securityHeaders(directives({ reportUri: [uri] })), uri).toThrow(/contains non-ASCII characters: percent-encode them/);
    }
    expect(() => securityHeaders(directives({ reportUri: ['https://r.example/caf%C3%A9'] }))).not.toThrow();
  });
});
