/**
 * A compiled Content-Security-Policy: defaults merged with the user's
 * directives, serialized once at factory time, split around the nonce
 * placeholder so a request only joins strings, and extended per route by
 * `cspAdditions()` (merged once per combination of additions, then cached).
 */
import { type CspDirectives, checkDirectives, type Directive, NONCE_PLACEHOLDER } from './csp-directives.js';
import { checkBoolean, checkKeys, checkObject, show } from './validate.js';

/** Options of one policy (`contentSecurityPolicy`). */
export interface ContentSecurityPolicyOptions {
  /**
   * The directives, camelCase (`scriptSrc`). With `useDefaults`, they replace
   * the default directives of the same name; `null` removes a default.
   * Default: {@link DEFAULT_CSP_DIRECTIVES}.
   */
  directives?: CspDirectives;
  /** Start from {@link DEFAULT_CSP_DIRECTIVES}. Default: `true`. */
  useDefaults?: boolean;
  /** Send it as `Content-Security-Policy-Report-Only` (report, do not block). Default: `false`. */
  reportOnly?: boolean;
}

/** Options of the report-only policy sent beside the enforcing one. */
export type ReportOnlyPolicyOptions = Omit<ContentSecurityPolicyOptions, 'reportOnly'>;

/**
 * ward's default policy: helmet 8's, with `frame-ancestors 'none'` (OWASP)
 * instead of `'self'`.
 */
export const DEFAULT_CSP_DIRECTIVES: Readonly<CspDirectives> = deepFreeze({
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  fontSrc: ["'self'", 'https:', 'data:'],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  imgSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", 'https:', "'unsafe-inline'"],
  upgradeInsecureRequests: true,
});

/** A policy value ready for a request: static, or split around the nonce. */
export interface PolicyValue {
  /** The value when it holds no nonce; with a nonce, the value with the nonce sources left out. */
  readonly value: string;
  /** Set when the value holds the nonce: join with `'nonce-<n>'`. */
  readonly segments: readonly string[] | undefined;
}

/** The directives of one addition, compiled by `cspAdditions()`. */
export interface CompiledAdditions {
  readonly id: number;
  readonly directives: ReadonlyMap<string, readonly string[]>;
  readonly hasNonce: boolean;
}

/** At most this many combinations of additions are cached per policy; more are merged per request. */
const MAX_CACHED_MERGES = 256;

/**
 * CSP3 §6.8 "Get the effective directive": where a missing directive falls
 * back to. Directives not listed fall back to `default-src`; `base-uri`,
 * `form-action` and `frame-ancestors` have no fallback (unrestricted).
 */
const FALLBACKS: Readonly<Record<string, readonly string[]>> = {
  'script-src-elem': ['script-src', 'default-src'],
  'script-src-attr': ['script-src', 'default-src'],
  'style-src-elem': ['style-src', 'default-src'],
  'style-src-attr': ['style-src', 'default-src'],
  'worker-src': ['child-src', 'script-src', 'default-src'],
  'frame-src': ['child-src', 'default-src'],
  'fenced-frame-src': ['frame-src', 'child-src', 'default-src'],
  'base-uri': [],
  'form-action': [],
  'frame-ancestors': [],
};

export class CompiledPolicy {
  /** `Content-Security-Policy` or `Content-Security-Policy-Report-Only`. */
  readonly header: string;
  readonly directives: readonly Directive[];
  readonly base: PolicyValue;
  readonly #merged = new Map<string, PolicyValue>();

  constructor(header: string, directives: readonly Directive[]) {
    this.header = header;
    this.directives = directives;
    this.base = serialize(directives);
  }

  /** True when the base policy holds `'nonce'`. */
  get hasNonce(): boolean {
    return this.base.segments !== undefined;
  }

  /** The value for one request: the base, or merged with the route's additions. */
  valueFor(nonce: string | undefined, additions: readonly CompiledAdditions[] | undefined): string {
    const compiled = additions === undefined ? this.base : this.#mergedWith(additions);
    const segments = compiled.segments;
    // No nonce although the policy asks for one cannot happen through ward's middleware;
    // leaving the nonce out is the safe side (scripts blocked, never allowed).
    return segments === undefined || nonce === undefined ? compiled.value : segments.join(`'nonce-${nonce}'`);
  }

  #mergedWith(additions: readonly CompiledAdditions[]): PolicyValue {
    const key = additions.length === 1 ? String(additions[0]!.id) : additions.map((a) => a.id).join(',');
    let merged = this.#merged.get(key);
    if (merged === undefined) {
      merged = serialize(mergeDirectives(this.directives, additions));
      if (this.#merged.size < MAX_CACHED_MERGES) this.#merged.set(key, merged);
    }
    return merged;
  }
}

/**
 * Compiles one policy option into the header `header` (or its
 * `-Report-Only` form when `allowReportOnly` and the option asks). An
 * enforcing policy must have `default-src`: without it, every fetch it does
 * not name is allowed.
 */
export function compilePolicy(value: unknown, where: string, header: string, allowReportOnly: boolean): CompiledPolicy {
  checkObject(value, where);
  checkKeys(value, allowReportOnly ? ['directives', 'useDefaults', 'reportOnly'] : ['directives', 'useDefaults'], where);
  const useDefaults = value['useDefaults'] ?? true;
  checkBoolean(useDefaults, `${where}.useDefaults`);
  const reportOnly = value['reportOnly'] ?? false;
  checkBoolean(reportOnly, `${where}.reportOnly`);
  const given = checkDirectives(value['directives'] ?? {}, `${where}.directives`);
  const result = new Map<string, Directive>();
  if (useDefaults) {
    for (const [name, directive] of checkDirectives(DEFAULT_CSP_DIRECTIVES, 'DEFAULT_CSP_DIRECTIVES')) result.set(name, directive!);
  }
  for (const [name, directive] of given) {
    if (directive === null) result.delete(name);
    else result.set(name, directive);
  }
  const finalHeader = reportOnly ? `${header}-Report-Only` : header;
  if (result.size === 0) throw new RangeError(`${where} has no directives: an empty policy; set false to send no policy`);
  if (!result.has('default-src') && !finalHeader.endsWith('-Report-Only')) {
    throw new RangeError(
      `${where}: an enforcing policy needs defaultSrc (without it every fetch it does not name is allowed), got ${show(value['directives'])}. ` +
        `Set directives.defaultSrc, e.g. ["'self'"]`,
    );
  }
  return new CompiledPolicy(finalHeader, [...result.values()]);
}

/** Adds each addition's sources to the base directives (CSP3 fallbacks respected). */
export function mergeDirectives(base: readonly Directive[], additions: readonly CompiledAdditions[]): Directive[] {
  const map = new Map<string, readonly string[]>(base.map((d) => [d.name, d.values]));
  const seen = new Set<number>();
  for (const addition of additions) {
    if (seen.has(addition.id)) continue;
    seen.add(addition.id);
    for (const [name, sources] of addition.directives) {
      let current = map.get(name);
      if (current === undefined) {
        // A missing directive is governed by its fallback: start from that, so
        // adding a source only ever widens what the browser allows.
        current = effective(name, map);
        if (current === undefined) continue;
      }
      const next = current.filter((s) => s !== "'none'");
      for (const source of sources) if (!next.includes(source)) next.push(source);
      map.set(name, next);
    }
  }
  return [...map].map(([name, values]) => ({ name, values }));
}

function effective(name: string, map: ReadonlyMap<string, readonly string[]>): readonly string[] | undefined {
  for (const fallback of FALLBACKS[name] ?? ['default-src']) {
    const values = map.get(fallback);
    if (values !== undefined) return values;
  }
  return undefined;
}

function serialize(directives: readonly Directive[]): PolicyValue {
  const parts = directives.map((d) => (d.values.length === 0 ? d.name : `${d.name} ${d.values.join(' ')}`));
  const full = parts.join('; ');
  if (!full.includes(NONCE_PLACEHOLDER)) return { value: full, segments: undefined };
  const withoutNonce = directives
    .map((d) => {
      const values = d.values.filter((v) => v !== NONCE_PLACEHOLDER);
      // A directive left with nothing would allow nothing anyway: say so explicitly.
      return values.length === 0 && d.values.length > 0 ? `${d.name} 'none'` : values.length === 0 ? d.name : `${d.name} ${values.join(' ')}`;
    })
    .join('; ');
  return { value: withoutNonce, segments: full.split(NONCE_PLACEHOLDER) };
}

function deepFreeze<T extends object>(directives: T): Readonly<T> {
  for (const value of Object.values(directives)) if (Array.isArray(value)) Object.freeze(value);
  return Object.freeze(directives);
}
