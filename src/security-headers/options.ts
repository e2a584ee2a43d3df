/**
 * The options of `securityHeaders()` and their resolution, at factory time,
 * into two precomputed header lists: the API set (sent on every response,
 * before the handler runs) and the browser-only additions (sent after the
 * handler, on responses a browser renders as a document).
 */
import { type CompiledPolicy, compilePolicy, type ContentSecurityPolicyOptions, type ReportOnlyPolicyOptions } from './csp-policy.js';
import type { RandomBytes } from './nonce.js';
import { type PermissionsPolicyOptions, permissionsPolicyValue } from './permissions-policy.js';
import { reportingEndpointsValue } from './reporting.js';
import { checkBoolean, checkChoice, checkKeys, checkList, checkObject, show } from './validate.js';

/** `Strict-Transport-Security` (RFC 6797). */
export interface StrictTransportSecurityOptions {
  /** `max-age`, in **seconds**. Default: `63072000` (2 years, OWASP). */
  maxAgeSec?: number;
  /** Add `includeSubDomains`. Default: `true`. */
  includeSubDomains?: boolean;
  /** Add `preload` (needs `maxAgeSec` ≥ 31536000 and `includeSubDomains`, hstspreload.org). Default: `false`. */
  preload?: boolean;
  /**
   * Send it only on requests that came over TLS (`ctx.req.secure`, which
   * counts `X-Forwarded-Proto` only from the adapter's `trustProxy`), as
   * RFC 6797 §7.2 requires. Behind a TLS-terminating proxy, set the
   * adapter's `trustProxy`, or `false` here. Default: `true`.
   */
  httpsOnly?: boolean;
}

export type ReferrerPolicyToken =
  | 'no-referrer'
  | 'no-referrer-when-downgrade'
  | 'origin'
  | 'origin-when-cross-origin'
  | 'same-origin'
  | 'strict-origin'
  | 'strict-origin-when-cross-origin'
  | 'unsafe-url';

/** Options of `securityHeaders()`. Every header takes `false` to leave it out. */
export interface SecurityHeadersOptions {
  /** The enforcing policy. Default: {@link DEFAULT_CSP_DIRECTIVES}. Browser set. */
  contentSecurityPolicy?: ContentSecurityPolicyOptions | false;
  /** A second policy sent as `Content-Security-Policy-Report-Only`, beside the enforcing one (to roll out a stricter one). Default: `false`. Browser set. */
  contentSecurityPolicyReportOnly?: ReportOnlyPolicyOptions | false;
  /** `Reporting-Endpoints`: `{ name: url }`, names for CSP `reportTo`. Default: `false`. Browser set. */
  reportingEndpoints?: Readonly<Record<string, string>> | false;
  /** Default: `max-age=63072000; includeSubDomains`, over TLS only. API set. */
  strictTransportSecurity?: StrictTransportSecurityOptions | false;
  /** `X-Content-Type-Options: nosniff`. Default: `true`. API set. */
  xContentTypeOptions?: boolean;
  /** `X-Frame-Options`. Default: `'DENY'`. API set. */
  xFrameOptions?: 'DENY' | 'SAMEORIGIN' | false;
  /** `Cross-Origin-Resource-Policy`. Default: `'same-origin'`. API set. */
  crossOriginResourcePolicy?: 'same-origin' | 'same-site' | 'cross-origin' | false;
  /** `Cross-Origin-Opener-Policy`. Default: `'same-origin'`. Browser set. */
  crossOriginOpenerPolicy?: 'same-origin' | 'same-origin-allow-popups' | 'noopener-allow-popups' | 'unsafe-none' | false;
  /** `Cross-Origin-Embedder-Policy`. Default: `false` (as helmet; `'require-corp'` breaks cross-origin embeds without CORP). Browser set. */
  crossOriginEmbedderPolicy?: 'require-corp' | 'credentialless' | 'unsafe-none' | false;
  /** `Origin-Agent-Cluster: ?1`. Default: `true`. Browser set. */
  originAgentCluster?: boolean;
  /** `Referrer-Policy`; a list is a fallback chain. Default: `'no-referrer'`. Browser set. */
  referrerPolicy?: ReferrerPolicyToken | readonly ReferrerPolicyToken[] | false;
  /** `Permissions-Policy`. Default: {@link DEFAULT_PERMISSIONS_POLICY} (OWASP). Browser set. */
  permissionsPolicy?: PermissionsPolicyOptions | false;
  /** `X-DNS-Prefetch-Control`. Default: `'off'`. Browser set. */
  xDnsPrefetchControl?: 'off' | 'on' | false;
  /** `X-Download-Options: noopen`. Default: `true`. Browser set. */
  xDownloadOptions?: boolean;
  /** `X-Permitted-Cross-Domain-Policies`. Default: `'none'`. Browser set. */
  xPermittedCrossDomainPolicies?: 'none' | 'master-only' | 'by-content-type' | 'all' | false;
  /** `X-XSS-Protection: 0` (turns off the old, exploitable XSS auditors; never `1`). Default: `true`. Browser set. */
  xXssProtection?: boolean;
  /** Response headers removed (after the handler too, so Express's own `X-Powered-By` goes). Default: `['X-Powered-By']`. */
  removeHeaders?: readonly string[];
  /**
   * Media types that get the browser set, compared without parameters,
   * case-insensitively; `'*'` sends the browser set on every response (and
   * before the handler, so streamed responses carry it too).
   * Default: `text/html`, `application/xhtml+xml`, `image/svg+xml`,
   * `text/xml`, `application/xml`.
   */
  browserTypes?: readonly string[] | '*';
  /** Bytes of randomness per nonce. Default: `16` (128 bits); at least 16, at most 64. */
  nonceBytes?: number;
  /** Random bytes for nonces. Default: node's `crypto` (pooled `randomFillSync`). */
  randomBytes?: RandomBytes;
}

/** Media types a browser renders as a document with scripts: they get the browser set. */
export const DEFAULT_BROWSER_TYPES: readonly string[] = Object.freeze(['text/html', 'application/xhtml+xml', 'image/svg+xml', 'text/xml', 'application/xml']);

const OPTION_NAMES = [
  'contentSecurityPolicy',
  'contentSecurityPolicyReportOnly',
  'reportingEndpoints',
  'strictTransportSecurity',
  'xContentTypeOptions',
  'xFrameOptions',
  'crossOriginResourcePolicy',
  'crossOriginOpenerPolicy',
  'crossOriginEmbedderPolicy',
  'originAgentCluster',
  'referrerPolicy',
  'permissionsPolicy',
  'xDnsPrefetchControl',
  'xDownloadOptions',
  'xPermittedCrossDomainPolicies',
  'xXssProtection',
  'removeHeaders',
  'browserTypes',
  'nonceBytes',
  'randomBytes',
] as const satisfies readonly (keyof SecurityHeadersOptions)[];

/** Names helmet uses for the same headers: a helmet user's options get a pointer. */
const HELMET_NAMES: Readonly<Record<string, string>> = {
  hsts: 'strictTransportSecurity',
  noSniff: 'xContentTypeOptions',
  frameguard: 'xFrameOptions',
  xPoweredBy: 'removeHeaders',
  hidePoweredBy: 'removeHeaders',
  dnsPrefetchControl: 'xDnsPrefetchControl',
  ieNoOpen: 'xDownloadOptions',
  permittedCrossDomainPolicies: 'xPermittedCrossDomainPolicies',
  xssFilter: 'xXssProtection',
};

const REFERRER_TOKENS: readonly ReferrerPolicyToken[] = [
  'no-referrer',
  'no-referrer-when-downgrade',
  'origin',
  'origin-when-cross-origin',
  'same-origin',
  'strict-origin',
  'strict-origin-when-cross-origin',
  'unsafe-url',
];
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

/** What the middleware applies, all computed once. */
export interface ResolvedHeaders {
  /** API set `[name, value, name, value…]` for plain-HTTP requests (no HSTS). */
  readonly apiPlain: readonly string[];
  /** API set for TLS requests (with HSTS when configured). */
  readonly apiSecure: readonly string[];
  /** True when the two differ, so `ctx.req.secure` must be read. */
  readonly checkSecure: boolean;
  /** Browser-only headers `[name, value…]`, the policies aside. */
  readonly browser: readonly string[];
  /** The enforcing and/or report-only policies. */
  readonly policies: readonly CompiledPolicy[];
  readonly remove: readonly string[];
  /** `undefined`: every response gets the browser set. */
  readonly browserTypes: ReadonlySet<string> | undefined;
  readonly nonceBytes: number;
  readonly randomBytes: RandomBytes | undefined;
}

/** Validates every option and precomputes the header lists. */
export function resolveOptions(options: unknown): ResolvedHeaders {
  const where = 'securityHeaders(options)';
  checkObject(options, where);
  checkKeys(options, OPTION_NAMES, where, (key) => HELMET_NAMES[key]);
  const o = options as SecurityHeadersOptions;
  const at = (name: string): string => `securityHeaders: ${name}`;

  const hsts = o.strictTransportSecurity === false ? undefined : hstsValue(o.strictTransportSecurity ?? {}, at('strictTransportSecurity'));
  const api: string[] = [];
  if (flag(o.xContentTypeOptions, at('xContentTypeOptions'))) api.push('X-Content-Type-Options', 'nosniff');
  pushChoice(api, 'X-Frame-Options', o.xFrameOptions, 'DENY', ['DENY', 'SAMEORIGIN'], at('xFrameOptions'));
  pushChoice(api, 'Cross-Origin-Resource-Policy', o.crossOriginResourcePolicy, 'same-origin', ['same-origin', 'same-site', 'cross-origin'], at('crossOriginResourcePolicy'));
  const apiSecure = hsts === undefined ? api : ['Strict-Transport-Security', hsts.value, ...api];
  const apiPlain = hsts === undefined || hsts.httpsOnly ? api : apiSecure;

  const browser: string[] = [];
  pushChoice(browser, 'Cross-Origin-Opener-Policy', o.crossOriginOpenerPolicy, 'same-origin', ['same-origin', 'same-origin-allow-popups', 'noopener-allow-popups', 'unsafe-none'], at('crossOriginOpenerPolicy'));
  pushChoice(browser, 'Cross-Origin-Embedder-Policy', o.crossOriginEmbedderPolicy, false, ['require-corp', 'credentialless', 'unsafe-none'], at('crossOriginEmbedderPolicy'));
  if (flag(o.originAgentCluster, at('originAgentCluster'))) browser.push('Origin-Agent-Cluster', '?1');
  const referrer = referrerValue(o.referrerPolicy, at('referrerPolicy'));
  if (referrer !== undefined) browser.push('Referrer-Policy', referrer);
  if (o.permissionsPolicy !== false) browser.push('Permissions-Policy', permissionsPolicyValue(o.permissionsPolicy ?? {}, at('permissionsPolicy')));
  let endpoints: ReadonlySet<string> | undefined;
  if (o.reportingEndpoints !== undefined && o.reportingEndpoints !== false) {
    const reporting = reportingEndpointsValue(o.reportingEndpoints, at('reportingEndpoints'));
    endpoints = reporting.names;
    browser.push('Reporting-Endpoints', reporting.value);
  }
  pushChoice(browser, 'X-DNS-Prefetch-Control', o.xDnsPrefetchControl, 'off', ['off', 'on'], at('xDnsPrefetchControl'));
  if (flag(o.xDownloadOptions, at('xDownloadOptions'))) browser.push('X-Download-Options', 'noopen');
  pushChoice(browser, 'X-Permitted-Cross-Domain-Policies', o.xPermittedCrossDomainPolicies, 'none', ['none', 'master-only', 'by-content-type', 'all'], at('xPermittedCrossDomainPolicies'));
  if (flag(o.xXssProtection, at('xXssProtection'))) browser.push('X-XSS-Protection', '0');

  const policies: CompiledPolicy[] = [];
  if (o.contentSecurityPolicy !== false) {
    const policy = compilePolicy(o.contentSecurityPolicy ?? {}, at('contentSecurityPolicy'), 'Content-Security-Policy', true);
    checkReportTo(policy, endpoints, at('contentSecurityPolicy'));
    policies.push(policy);
  }
  if (o.contentSecurityPolicyReportOnly !== undefined && o.contentSecurityPolicyReportOnly !== false) {
    const where = at('contentSecurityPolicyReportOnly');
    const reportOnly = compilePolicy(o.contentSecurityPolicyReportOnly, where, 'Content-Security-Policy-Report-Only', false);
    if (policies[0]?.header === reportOnly.header) {
      throw new RangeError(
        `${where}: contentSecurityPolicy is already report-only; drop its reportOnly to enforce it beside this one, or merge the two policies`,
      );
    }
    checkReportTo(reportOnly, endpoints, where);
    policies.push(reportOnly);
  }

  return Object.freeze({
    apiPlain: Object.freeze(apiPlain),
    apiSecure: Object.freeze(apiSecure),
    checkSecure: apiPlain !== apiSecure,
    browser: Object.freeze(browser),
    policies: Object.freeze(policies),
    remove: Object.freeze(removeList(o.removeHeaders, at('removeHeaders'))),
    browserTypes: browserTypes(o.browserTypes, at('browserTypes')),
    nonceBytes: nonceBytes(o.nonceBytes, at('nonceBytes')),
    randomBytes: randomBytes(o.randomBytes, at('randomBytes')),
  });
}

function flag(value: unknown, where: string): boolean {
  if (value === undefined) return true;
  checkBoolean(value, where);
  return value;
}

function pushChoice<T extends string>(list: string[], header: string, value: T | false | undefined, fallback: T | false, choices: readonly T[], where: string): void {
  const chosen = value === undefined ? fallback : value;
  if (chosen === false) return;
  checkChoice(chosen, choices, where);
  list.push(header, chosen);
}

function hstsValue(value: unknown, where: string): { value: string; httpsOnly: boolean } {
  checkObject(value, where);
  checkKeys(value, ['maxAgeSec', 'includeSubDomains', 'preload', 'httpsOnly'], where, (key) => (key === 'maxAge' ? 'maxAgeSec' : undefined));
  const maxAge = value['maxAgeSec'] ?? 63_072_000;
  if (typeof maxAge !== 'number') throw new TypeError(`${where}.maxAgeSec must be a number of seconds, got ${show(maxAge)}`);
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) throw new RangeError(`${where}.maxAgeSec must be a non-negative integer of seconds, got ${show(maxAge)}`);
  const includeSubDomains = value['includeSubDomains'] ?? true;
  checkBoolean(includeSubDomains, `${where}.includeSubDomains`);
  const preload = value['preload'] ?? false;
  checkBoolean(preload, `${where}.preload`);
  const httpsOnly = value['httpsOnly'] ?? true;
  checkBoolean(httpsOnly, `${where}.httpsOnly`);
  if (preload && (maxAge < 31_536_000 || !includeSubDomains)) {
    throw new RangeError(`${where}.preload needs maxAgeSec ≥ 31536000 and includeSubDomains (hstspreload.org), got maxAgeSec ${maxAge}, includeSubDomains ${includeSubDomains}`);
  }
  let header = `max-age=${maxAge}`;
  if (includeSubDomains) header += '; includeSubDomains';
  if (preload) header += '; preload';
  return { value: header, httpsOnly };
}

function referrerValue(value: unknown, where: string): string | undefined {
  if (value === false) return undefined;
  if (value === undefined) return 'no-referrer';
  if (typeof value === 'string') {
    checkChoice(value, REFERRER_TOKENS, where);
    return value;
  }
  checkList(value, where, 'give at least one policy, or false to send none');
  const seen: string[] = [];
  value.forEach((token, i) => {
    checkChoice(token, REFERRER_TOKENS, `${where}[${i}]`);
    if (seen.includes(token)) throw new RangeError(`${where}[${i}]: ${show(token)} is listed twice`);
    seen.push(token);
  });
  return seen.join(', ');
}

function checkReportTo(policy: CompiledPolicy, endpoints: ReadonlySet<string> | undefined, where: string): void {
  const reportTo = policy.directives.find((d) => d.name === 'report-to')?.values[0];
  if (reportTo !== undefined && endpoints !== undefined && !endpoints.has(reportTo)) {
    throw new RangeError(`${where}.directives.reportTo names ${show(reportTo)}, which reportingEndpoints does not define (${[...endpoints].map((e) => JSON.stringify(e)).join(', ')})`);
  }
}

function removeList(value: unknown, where: string): string[] {
  if (value === undefined) return ['X-Powered-By'];
  if (!Array.isArray(value)) throw new TypeError(`${where} must be an array of header names, got ${show(value)}`);
  return value.map((name: unknown, i) => {
    if (typeof name !== 'string' || !TOKEN.test(name)) throw new TypeError(`${where}[${i}] must be a header name, got ${show(name)}`);
    return name;
  });
}

function browserTypes(value: unknown, where: string): ReadonlySet<string> | undefined {
  if (value === '*') return undefined;
  if (value === undefined) return new Set(DEFAULT_BROWSER_TYPES);
  if (!Array.isArray(value)) throw new TypeError(`${where} must be an array of media types or '*', got ${show(value)}`);
  return new Set(
    value.map((type: unknown, i) => {
      if (typeof type !== 'string') throw new TypeError(`${where}[${i}] must be a media type string, got ${show(type)}`);
      const lower = type.toLowerCase();
      if (!MEDIA_TYPE.test(lower)) throw new RangeError(`${where}[${i}] must be a media type without parameters (e.g. "text/html"), got ${show(type)}`);
      return lower;
    }),
  );
}

/** Bytes of a nonce unless `nonceBytes` says otherwise (128 bits, CSP3 §7.2). */
export const DEFAULT_NONCE_BYTES = 16;

function nonceBytes(value: unknown, where: string): number {
  if (value === undefined) return DEFAULT_NONCE_BYTES;
  if (typeof value !== 'number') throw new TypeError(`${where} must be a number of bytes, got ${show(value)}`);
  if (!Number.isInteger(value) || value < 16 || value > 64) throw new RangeError(`${where} must be an integer from 16 (128 bits, CSP3 §7.2) to 64, got ${show(value)}`);
  return value;
}

function randomBytes(value: unknown, where: string): RandomBytes | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new TypeError(`${where} must be a function (size) => Uint8Array, got ${show(value)}`);
  return value as RandomBytes;
}
