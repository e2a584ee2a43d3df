/**
 * Content-Security-Policy directives as a typed object (camelCase keys), and
 * their validation: every directive name, source expression and token is
 * checked when the factory runs, so a bad policy is a thrown error at start,
 * never a broken header per request (CSP Level 3, W3C; helmet 8 throws on an
 * unquoted `self`).
 */
import { checkBoolean, checkChoice, checkList, checkObject, show, suggest } from './validate.js';

/** CSP keywords; `'nonce'` is ward's placeholder for the per-request nonce. */
export type CspKeyword =
  | "'self'"
  | "'none'"
  | "'unsafe-inline'"
  | "'unsafe-eval'"
  | "'strict-dynamic'"
  | "'unsafe-hashes'"
  | "'report-sample'"
  | "'wasm-unsafe-eval'"
  | "'unsafe-allow-redirects'"
  | "'inline-speculation-rules'"
  | "'trusted-types-eval'"
  | "'report-sha256'"
  | "'report-sha384'"
  | "'report-sha512'"
  | "'nonce'";

/**
 * One source expression: a keyword, `'nonce'` (replaced per request by
 * `'nonce-<base64>'`), a hash (`'sha256-<base64>'`), a scheme (`https:`,
 * `data:`) or a host (`https://cdn.example.com`, `*.example.com:443/path`).
 */
export type CspSource = CspKeyword | `'sha256-${string}'` | `'sha384-${string}'` | `'sha512-${string}'` | `${string}:` | (string & {});

/** `frame-ancestors` takes only `'self'`, `'none'`, schemes and hosts. */
export type CspAncestorSource = "'self'" | "'none'" | `${string}:` | (string & {});

/** `sandbox` flags (HTML "sandboxing flag set"). */
export type CspSandboxToken =
  | 'allow-downloads'
  | 'allow-forms'
  | 'allow-modals'
  | 'allow-orientation-lock'
  | 'allow-pointer-lock'
  | 'allow-popups'
  | 'allow-popups-to-escape-sandbox'
  | 'allow-presentation'
  | 'allow-same-origin'
  | 'allow-scripts'
  | 'allow-storage-access-by-user-activation'
  | 'allow-top-navigation'
  | 'allow-top-navigation-by-user-activation'
  | 'allow-top-navigation-to-custom-protocols';

/** A source list; `null` removes a default directive. */
type Sources = readonly CspSource[] | null;

/**
 * The directives that take a source list and may be extended per route
 * with `cspAdditions()`.
 */
export interface CspSourceDirectives {
  defaultSrc?: Sources;
  baseUri?: Sources;
  childSrc?: Sources;
  connectSrc?: Sources;
  fencedFrameSrc?: Sources;
  fontSrc?: Sources;
  formAction?: Sources;
  frameAncestors?: readonly CspAncestorSource[] | null;
  frameSrc?: Sources;
  imgSrc?: Sources;
  manifestSrc?: Sources;
  mediaSrc?: Sources;
  objectSrc?: Sources;
  scriptSrc?: Sources;
  scriptSrcAttr?: Sources;
  scriptSrcElem?: Sources;
  styleSrc?: Sources;
  styleSrcAttr?: Sources;
  styleSrcElem?: Sources;
  workerSrc?: Sources;
}

/**
 * A whole policy, camelCase keys (`scriptSrc` for `script-src`). A key set
 * to `null` removes that directive from the defaults.
 */
export interface CspDirectives extends CspSourceDirectives {
  /** `upgrade-insecure-requests` when true. */
  upgradeInsecureRequests?: boolean | null;
  /** `true` for an empty `sandbox` (every restriction), or the flags to lift. */
  sandbox?: true | readonly CspSandboxToken[] | null;
  /** A `Reporting-Endpoints` name (`csp-endpoint`) reports go to. */
  reportTo?: string | null;
  /** Deprecated `report-uri`: URLs reports are POSTed to, for browsers without the Reporting API. */
  reportUri?: readonly string[] | null;
  /** `require-trusted-types-for 'script'`. */
  requireTrustedTypesFor?: readonly "'script'"[] | null;
  /** Trusted Types policy names, `'allow-duplicates'`, `'none'` or `*`. */
  trustedTypes?: readonly string[] | null;
  /** `webrtc 'allow'` or `webrtc 'block'`. */
  webrtc?: "'allow'" | "'block'" | null;
}

/** One directive, serialized: the kebab-case name and its value tokens. */
export interface Directive {
  readonly name: string;
  readonly values: readonly string[];
}

type Kind = 'sources' | 'ancestors' | 'flag' | 'sandbox' | 'endpoint' | 'uris' | 'ttRequire' | 'ttPolicies' | 'webrtc';

/** Every directive ward knows, camelCase → kind, in CSP Level 3 order. */
const KINDS: Readonly<Record<keyof CspDirectives, Kind>> = {
  defaultSrc: 'sources',
  baseUri: 'sources',
  childSrc: 'sources',
  connectSrc: 'sources',
  fencedFrameSrc: 'sources',
  fontSrc: 'sources',
  formAction: 'sources',
  frameAncestors: 'ancestors',
  frameSrc: 'sources',
  imgSrc: 'sources',
  manifestSrc: 'sources',
  mediaSrc: 'sources',
  objectSrc: 'sources',
  scriptSrc: 'sources',
  scriptSrcAttr: 'sources',
  scriptSrcElem: 'sources',
  styleSrc: 'sources',
  styleSrcAttr: 'sources',
  styleSrcElem: 'sources',
  workerSrc: 'sources',
  upgradeInsecureRequests: 'flag',
  sandbox: 'sandbox',
  reportTo: 'endpoint',
  reportUri: 'uris',
  requireTrustedTypesFor: 'ttRequire',
  trustedTypes: 'ttPolicies',
  webrtc: 'webrtc',
};

/** The directive names (camelCase) ward accepts. */
export const DIRECTIVE_NAMES = Object.keys(KINDS) as (keyof CspDirectives)[];

/** The source-list directives `cspAdditions()` may extend. */
export const SOURCE_DIRECTIVE_NAMES = DIRECTIVE_NAMES.filter((name) => KINDS[name] === 'sources' || KINDS[name] === 'ancestors') as (keyof CspSourceDirectives)[];

/** Directives that no longer exist or never worked, with what to use instead. */
const RETIRED: Readonly<Record<string, string>> = {
  blockAllMixedContent: 'it is deprecated (CSP Level 3); use upgradeInsecureRequests: true',
  prefetchSrc: 'it was removed from CSP Level 3; prefetches follow defaultSrc',
  navigateTo: 'it was removed from CSP Level 3',
  pluginTypes: 'it was removed from CSP Level 3; use objectSrc: ["\'none\'"]',
  requireSriFor: 'it never shipped in browsers',
  disownOpener: 'it never shipped in browsers; use crossOriginOpenerPolicy',
  referrer: 'it was removed; use the referrerPolicy option',
};

const KEYWORDS: ReadonlySet<string> = new Set([
  "'self'",
  "'none'",
  "'unsafe-inline'",
  "'unsafe-eval'",
  "'strict-dynamic'",
  "'unsafe-hashes'",
  "'report-sample'",
  "'wasm-unsafe-eval'",
  "'unsafe-allow-redirects'",
  "'inline-speculation-rules'",
  "'trusted-types-eval'",
  "'report-sha256'",
  "'report-sha384'",
  "'report-sha512'",
]);

/** ward's placeholder, replaced per request by `'nonce-<base64>'`. */
export const NONCE_PLACEHOLDER = "'nonce'";

const HASH = /^'(sha256|sha384|sha512)-([A-Za-z0-9+/_-]+={0,2})'$/;
const HASH_BYTES: Readonly<Record<string, number>> = { sha256: 32, sha384: 48, sha512: 64 };
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:$/;
/** CSP3 host-source: [scheme "://"] host [port] [path], without `;` `,` quotes or spaces. */
const HOST = /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?(?:\*|(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?::(?:[0-9]+|\*))?(?:\/[A-Za-z0-9\-._~!$&()*+=:@%/]*)?$/;
/** Characters that would end a source, a directive (`;`) or a policy (`,`), or break the header. */
const BREAKING = /[\s;,'"\\\x00-\x1f\x7f]/;
const SANDBOX: ReadonlySet<string> = new Set<CspSandboxToken>([
  'allow-downloads',
  'allow-forms',
  'allow-modals',
  'allow-orientation-lock',
  'allow-pointer-lock',
  'allow-popups',
  'allow-popups-to-escape-sandbox',
  'allow-presentation',
  'allow-same-origin',
  'allow-scripts',
  'allow-storage-access-by-user-activation',
  'allow-top-navigation',
  'allow-top-navigation-by-user-activation',
  'allow-top-navigation-to-custom-protocols',
]);
/** A Reporting API endpoint name: a structured-field key (RFC 8941 §3.1.2). */
export const ENDPOINT_NAME = /^[a-z*][a-z0-9_\-.*]*$/;
const TT_POLICY = /^[A-Za-z0-9\-#=_/@.%]+$/;

/** Checks one `directives` object; returns its directives in the given key order, `null` for removals. */
export function checkDirectives(value: unknown, where: string): Map<string, Directive | null> {
  checkObject(value, where);
  const out = new Map<string, Directive | null>();
  for (const key of Object.keys(value)) {
    const kind = KINDS[key as keyof CspDirectives] as Kind | undefined;
    if (kind === undefined || !Object.hasOwn(KINDS, key)) throw unknownDirective(key, where, DIRECTIVE_NAMES);
    const raw = value[key];
    if (raw === undefined) continue;
    const name = kebabName(key);
    out.set(name, raw === null ? null : { name, values: checkValue(kind, name, raw, `${where}.${key}`) });
  }
  return out;
}

/** Checks the directives given to `cspAdditions()`: source lists only, no `'none'`. */
export function checkAdditions(value: unknown, where: string): Map<string, readonly string[]> {
  checkObject(value, where);
  const out = new Map<string, readonly string[]>();
  for (const key of Object.keys(value)) {
    if (!(SOURCE_DIRECTIVE_NAMES as readonly string[]).includes(key)) throw unknownDirective(key, where, SOURCE_DIRECTIVE_NAMES);
    const raw = value[key];
    if (raw === undefined) continue;
    const name = kebabName(key);
    const values = checkValue(KINDS[key as keyof CspDirectives], name, raw, `${where}.${key}`);
    if (values.includes("'none'")) {
      throw new RangeError(`${where}.${key}: additions only add sources; "'none'" cannot be added (set it in the base policy)`);
    }
    out.set(name, values);
  }
  if (out.size === 0) throw new RangeError(`${where} adds nothing: name at least one directive, e.g. { scriptSrc: ['https://cdn.example.com'] }`);
  return out;
}

function unknownDirective(key: string, where: string, allowed: readonly string[]): RangeError {
  if (Object.hasOwn(RETIRED, key)) return new RangeError(`${where}: directive ${JSON.stringify(key)} is not supported: ${RETIRED[key]}`);
  const camelGuess = key.includes('-') ? key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) : undefined;
  const guess = camelGuess !== undefined && allowed.includes(camelGuess) ? camelGuess : suggest(key, allowed);
  const keyNote = key.includes('-') ? ' (directive keys are camelCase)' : '';
  return new RangeError(`${where}: unknown directive ${JSON.stringify(key)}${keyNote}${guess === undefined ? '' : `. Did you mean ${JSON.stringify(guess)}?`}`);
}

function kebabName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function checkValue(kind: Kind, name: string, raw: unknown, where: string): readonly string[] {
  switch (kind) {
    case 'sources':
    case 'ancestors':
      return checkSources(raw, name, where, kind === 'ancestors');
    case 'flag':
      checkBoolean(raw, where);
      if (!raw) throw new RangeError(`${where}: false is not a value; use null to remove the directive`);
      return [];
    case 'sandbox':
      if (raw === true) return [];
      checkList(raw, where, 'use true for a sandbox with every restriction');
      return unique(raw, where, (token, at) => {
        if (typeof token !== 'string') throw new TypeError(`${at} must be a string, got ${show(token)}`);
        if (!SANDBOX.has(token)) {
          const guess = suggest(token, [...SANDBOX]);
          throw new RangeError(`${at}: unknown sandbox flag ${show(token)}${guess === undefined ? '' : `. Did you mean ${JSON.stringify(guess)}?`}`);
        }
        return token;
      });
    case 'endpoint':
      if (typeof raw !== 'string') throw new TypeError(`${where} must be an endpoint name (string), got ${show(raw)}`);
      if (!ENDPOINT_NAME.test(raw)) {
        throw new RangeError(`${where} must be a Reporting-Endpoints name (lower-case letters, digits, _ - . *), got ${show(raw)}`);
      }
      return [raw];
    case 'uris':
      checkList(raw, where, 'use null to remove the directive');
      return unique(raw, where, (uri, at) => checkReportUri(uri, at));
    case 'ttRequire':
      checkList(raw, where, 'use null to remove the directive');
      return unique(raw, where, (token, at) => {
        if (token !== "'script'") throw new RangeError(`${at} must be "'script'" (quoted), got ${show(token)}`);
        return token;
      });
    case 'ttPolicies':
      checkList(raw, where, `use ["'none'"] to allow no policy, or null to remove the directive`);
      return unique(raw, where, (token, at) => {
        if (typeof token !== 'string') throw new TypeError(`${at} must be a string, got ${show(token)}`);
        if (token === 'none' || token === 'allow-duplicates') throw new RangeError(`${at}: ${show(token)} must be quoted: "'${token}'"`);
        if (token === "'none'" || token === "'allow-duplicates'" || token === '*' || TT_POLICY.test(token)) return token;
        throw new RangeError(`${at} is not a Trusted Types policy name, "'allow-duplicates'", "'none'" or "*": ${show(token)}`);
      });
    case 'webrtc':
      checkChoice(raw, ["'allow'", "'block'"], where);
      return [raw];
  }
}

function unique(list: readonly unknown[], where: string, check: (item: unknown, at: string) => string): string[] {
  const out: string[] = [];
  list.forEach((item, i) => {
    const value = check(item, `${where}[${i}]`);
    if (out.includes(value)) throw new RangeError(`${where}[${i}]: ${show(value)} is listed twice`);
    out.push(value);
  });
  return out;
}

function checkSources(raw: unknown, name: string, where: string, ancestors: boolean): string[] {
  checkList(raw, where, `use ["'none'"] to block everything, or null to remove the directive`);
  const values = unique(raw, where, (source, at) => checkSource(source, at, ancestors));
  if (values.includes("'none'") && values.length > 1) {
    throw new RangeError(`${where}: "'none'" must be the only source of ${name} (browsers ignore it beside others)`);
  }
  return values;
}

/** Checks one source expression (CSP3 §2.3.1 source-expression grammar). */
export function checkSource(source: unknown, where: string, ancestors = false): string {
  if (typeof source !== 'string') throw new TypeError(`${where} must be a string, got ${show(source)}`);
  if (source === '') throw new RangeError(`${where} is an empty source`);
  const unquoted = `'${source.toLowerCase()}'`;
  if (KEYWORDS.has(unquoted) || unquoted === NONCE_PLACEHOLDER) {
    throw new RangeError(`${where}: ${show(source)} must be quoted: "${unquoted}"`);
  }
  if (/^(nonce|sha256|sha384|sha512)-/i.test(source)) throw new RangeError(`${where}: ${show(source)} must be quoted: "'${source}'"`);
  if (source.startsWith("'")) return checkQuoted(source, where, ancestors);
  if (BREAKING.test(source)) {
    throw new RangeError(`${where}: ${show(source)} contains a space, quote, ";" "," or control character, which would break or inject into the policy`);
  }
  if (SCHEME.test(source) || HOST.test(source)) return source;
  throw new RangeError(`${where}: ${show(source)} is not a CSP source (a quoted keyword, a scheme like "https:", or a host like "https://cdn.example.com")`);
}

function checkQuoted(source: string, where: string, ancestors: boolean): string {
  if (ancestors) {
    if (source === "'self'" || source === "'none'") return source;
    throw new RangeError(`${where}: frameAncestors takes only "'self'", "'none'", schemes and hosts, got ${show(source)}`);
  }
  if (KEYWORDS.has(source) || source === NONCE_PLACEHOLDER) return source;
  const lower = source.toLowerCase();
  if (KEYWORDS.has(lower) || lower === NONCE_PLACEHOLDER) throw new RangeError(`${where}: keywords are lower-case: "${lower}", got ${show(source)}`);
  if (/^'nonce-/i.test(source)) {
    throw new RangeError(`${where}: a fixed nonce ${show(source)} defeats the purpose of a nonce; write "'nonce'" and ward sends a fresh one per request`);
  }
  const hash = HASH.exec(source);
  if (hash !== null) {
    const algorithm = hash[1]!;
    const digest = hash[2]!;
    const bytes = Buffer.from(digest, 'base64').byteLength;
    if (bytes === HASH_BYTES[algorithm] && digest.replace(/=+$/, '').length === Math.ceil((bytes * 4) / 3)) return source;
    throw new RangeError(`${where}: ${show(source)} is not a ${algorithm} digest (expected ${HASH_BYTES[algorithm]} bytes in base64)`);
  }
  throw new RangeError(`${where}: unknown keyword ${show(source)}`);
}

function checkReportUri(uri: unknown, where: string): string {
  if (typeof uri !== 'string') throw new TypeError(`${where} must be a URL string, got ${show(uri)}`);
  if (uri === '' || BREAKING.test(uri)) throw new RangeError(`${where}: ${show(uri)} is empty or contains a space, quote, ";" "," or control character`);
  // A header carries ASCII only: node refuses U+0100 and up on every response, and sends U+0080–U+00FF as raw bytes.
  if (/[^\x21-\x7e]/.test(uri)) throw new RangeError(`${where}: ${show(uri)} contains non-ASCII characters: percent-encode them (new URL(…).href does)`);
  let url: URL;
  try {
    url = new URL(uri, 'https://base.invalid');
  } catch {
    throw new RangeError(`${where}: ${show(uri)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RangeError(`${where}: ${show(uri)} must be an http(s) URL or a path`);
  return uri;
}
