/**
 * Ward's server-side rules around http-cache-semantics, the RFC 9111 policy
 * engine: what may be stored (and why not, named for `Cache-Status` and
 * metrics), the stale windows a stored response allows, and what a stored
 * response can do for a new request. Freshness lifetime, `Age` and
 * storability come from the library's `CachePolicy`; only the parts a
 * server-side cache adds are here.
 *
 * The library's `evaluateRequest()` is not used for reuse: it treats a
 * fresh `must-revalidate` response as always needing validation (RFC 9111
 * §5.2.2.2 asks that only once it is stale), which would make such
 * responses — one of RFC 9111 §3.5's ways to share an authenticated answer —
 * never served.
 */
import CachePolicy from 'http-cache-semantics';

/** Why a response was not stored: the `detail` of `Cache-Status` and the `reason` label of metrics. */
export type NotStoredReason =
  | 'method'
  | 'request-no-store'
  | 'streamed'
  | 'status'
  | 'too-large'
  | 'set-cookie'
  | 'no-store'
  | 'private'
  | 'no-cache'
  | 'vary-star'
  | 'credentials'
  | 'no-freshness';

export const NOT_STORED_REASONS: readonly NotStoredReason[] = [
  'method', 'request-no-store', 'streamed', 'status', 'too-large', 'set-cookie', 'no-store', 'private', 'no-cache', 'vary-star', 'credentials', 'no-freshness',
];

/** Cache-Control directives, names lower-cased, quoted values unquoted; `true` for a directive without a value. */
export type Directives = ReadonlyMap<string, string | true>;

const NONE: Directives = new Map();

/** The `name[=value]` items of a Cache-Control value, in order: names lower-cased, values trimmed (quotes kept). */
function items(value: string): [name: string, value: string | true][] {
  const out: [string, string | true][] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name !== '') out.push([name, eq === -1 ? true : part.slice(eq + 1).trim()]);
  }
  return out;
}

const unquoted = (value: string | true): string | true => (value === true ? true : value.replace(/^"|"$/g, ''));

/** Parses a Cache-Control value (RFC 9111 §5.2). */
export function directives(value: string | undefined): Directives {
  if (value === undefined || value === '') return NONE;
  const out = new Map<string, string | true>();
  for (const [name, given] of items(value)) out.set(name, unquoted(given));
  return out;
}

/** RFC 9111 §1.2.2: delta-seconds past this are read as this (about 68 years). */
const MAX_DELTA_SECONDS = 2_147_483_648;

/**
 * The response's Cache-Control as the policy engine must read it:
 * directive names lower-cased (RFC 9111 §5.2: `S-Maxage` is `s-maxage`;
 * http-cache-semantics compares them as written), each directive once,
 * delta-seconds capped at 2^31 (§1.2.2). `invalid` when a freshness
 * directive (`max-age`, `s-maxage`) is repeated with another value or is
 * not delta-seconds (`5x`): §4.2.1 asks to treat such a response as stale.
 */
export function canonicalCacheControl(value: string | undefined): { readonly header: string | undefined; readonly directives: Directives; readonly invalid: boolean } {
  if (value === undefined || value === '') return { header: value, directives: NONE, invalid: false };
  const seen = new Map<string, string | true>();
  const parsed = new Map<string, string | true>();
  let invalid = false;
  for (let [name, given] of items(value)) {
    if (name === 'max-age' || name === 's-maxage') {
      const text = unquoted(given);
      if (text === true || !/^\d+$/.test(text)) {
        invalid = true;
        continue;
      }
      given = String(Math.min(Number(text), MAX_DELTA_SECONDS));
      const prior = seen.get(name);
      if (prior !== undefined && prior !== given) invalid = true;
    }
    if (seen.has(name)) continue;
    seen.set(name, given);
    parsed.set(name, unquoted(given));
  }
  let header = '';
  for (const [name, given] of seen) header += `${header === '' ? '' : ', '}${given === true ? name : `${name}=${given}`}`;
  return { header, directives: parsed, invalid };
}

/** A directive's delta-seconds, or undefined when absent or not a number. */
export function seconds(d: Directives, name: string): number | undefined {
  const value = d.get(name);
  if (typeof value !== 'string' || !/^\d{1,10}$/.test(value)) return undefined;
  return Number(value);
}

/** http-cache-semantics' policy on the cache's clock (the library reads `this.now()`, from its constructor on). */
export function clockedPolicy(now: () => number): typeof CachePolicy {
  return class ClockedPolicy extends CachePolicy {
    now(): number {
      return now();
    }
  };
}

/** What the middleware's options add to the response's own rules. */
export interface StoreRules {
  readonly statuses: ReadonlySet<number>;
  readonly maxBodyBytes: number;
  /** Seconds of freshness for a response that states none; 0: such responses are not stored. */
  readonly defaultMaxAge: number;
  readonly staleWhileRevalidate: number;
  readonly staleIfError: number;
}

/** The response as the cache sees it after the downstream answered. */
export interface ResponseFacts {
  readonly status: number;
  /** Lower-case names, values as strings (repeated fields joined). */
  readonly headers: Record<string, string>;
  readonly bodyBytes: number;
  /** The request carried credentials (`Authorization`, `Cookie`, an authenticated user) and the entry is shared. */
  readonly credentialed: boolean;
  /** false for a per-user entry: the user's own private cache (RFC 9111 `private` allowed). */
  readonly shared: boolean;
  /** The varied header names, or `'*'`. */
  readonly vary: readonly string[] | '*';
}

/** A storable response: its policy, the stale windows it allows, and how long the store keeps it. */
export interface Storable {
  readonly policy: CachePolicy;
  readonly staleWhileRevalidate: number;
  readonly staleIfError: number;
  readonly ttlMs: number;
  /** The response said `public`, `s-maxage` or `must-revalidate`: it may answer requests with credentials (RFC 9111 §3.5). */
  readonly shareable: boolean;
}

/**
 * Decides whether a response may be stored: a reason when not, else its
 * policy. The checks named here come first so the reason is precise; the
 * library's `storable()` has the last word.
 */
export function decideStorage(facts: ResponseFacts, rules: StoreRules, Policy: typeof CachePolicy): Storable | NotStoredReason {
  const { status, headers } = facts;
  if (!rules.statuses.has(status)) return 'status';
  if (facts.bodyBytes > rules.maxBodyBytes) return 'too-large';
  // Stricter than RFC 9111 §7.3, as Varnish and Cloudflare are: user B never receives user A's cookie.
  if (headers['set-cookie'] !== undefined) return 'set-cookie';
  if (facts.vary === '*') return 'vary-star';
  const canonical = canonicalCacheControl(headers['cache-control']);
  const cc = canonical.directives;
  if (cc.has('no-store')) return 'no-store';
  if (facts.shared && cc.has('private')) return 'private';
  if (cc.has('no-cache') || (headers['cache-control'] === undefined && /no-cache/i.test(headers.pragma ?? ''))) return 'no-cache';
  // RFC 9111 §3.5: an authenticated request's answer is shared only when the response says so.
  const shareable = cc.has('public') || cc.has('s-maxage') || cc.has('must-revalidate');
  if (facts.credentialed && !shareable) return 'credentials';

  // Freshness the response states wrongly (a repeated or malformed max-age) is no freshness (§4.2.1): not stored.
  if (canonical.invalid) return 'no-freshness';
  const explicit = cc.has('max-age') || (facts.shared && cc.has('s-maxage')) || headers.expires !== undefined;
  // The policy reads the canonical Cache-Control; the client still gets the handler's own.
  let seen = canonical.header === headers['cache-control'] ? headers : { ...headers, 'cache-control': canonical.header! };
  if (!explicit && rules.defaultMaxAge > 0) {
    // The configured default, as the policy sees it.
    const given = canonical.header;
    seen = { ...headers, 'cache-control': given === undefined || given === '' ? `max-age=${rules.defaultMaxAge}` : `${given}, max-age=${rules.defaultMaxAge}` };
  }
  const policy = new Policy({ method: 'GET', url: '/', headers: {} }, { status, headers: seen }, { shared: facts.shared });
  if (!policy.storable()) return 'status';
  const fresh = policy.maxAge() - policy.age();
  if (!(fresh > 0)) return 'no-freshness';

  // Stale serving only where the response allows it (RFC 9111 §4.2.4): never past must-revalidate or
  // proxy-revalidate; s-maxage (which implies proxy-revalidate) only with its own explicit window.
  const forbidden = cc.has('must-revalidate') || cc.has('proxy-revalidate');
  const strict = facts.shared && cc.has('s-maxage');
  const window = (name: string, fallback: number): number => (forbidden ? 0 : (seconds(cc, name) ?? (strict ? 0 : fallback)));
  const staleWhileRevalidate = window('stale-while-revalidate', rules.staleWhileRevalidate);
  const staleIfError = window('stale-if-error', rules.staleIfError);
  return { policy, staleWhileRevalidate, staleIfError, shareable, ttlMs: Math.ceil((fresh + Math.max(staleWhileRevalidate, staleIfError)) * 1000) };
}

/**
 * What a stored response can do for a request: `fresh`, serve it;
 * `revalidate`, stale within stale-while-revalidate: serve it and refresh
 * once in the background; `refresh`, stale or not fresh enough for the
 * request: run the handler (the entry may still stand in for an error).
 */
export type Use = 'fresh' | 'revalidate' | 'refresh';

/** The request's own Cache-Control, when honoured. */
export interface RequestDirectives {
  readonly noCache: boolean;
  readonly maxAge: number | undefined;
  readonly minFresh: number | undefined;
  readonly onlyIfCached: boolean;
}

export const NO_REQUEST_DIRECTIVES: RequestDirectives = { noCache: false, maxAge: undefined, minFresh: undefined, onlyIfCached: false };

/** Reads the request directives that matter to reuse (RFC 9111 §5.2.1); `max-stale` is ignored (never staler than the response allows). */
export function requestDirectives(cacheControl: string | undefined, pragma: string | undefined): RequestDirectives & { readonly noStore: boolean } {
  const cc = directives(cacheControl);
  return {
    noStore: cc.has('no-store'),
    noCache: cc.has('no-cache') || (cacheControl === undefined && /no-cache/i.test(pragma ?? '')),
    maxAge: seconds(cc, 'max-age'),
    minFresh: seconds(cc, 'min-fresh'),
    onlyIfCached: cc.has('only-if-cached'),
  };
}

/** How a stored response serves a request, and its current age and remaining freshness in seconds. */
export function use(policy: CachePolicy, staleWhileRevalidate: number, request: RequestDirectives): { use: Use; age: number; ttl: number } {
  const age = policy.age();
  const ttl = policy.maxAge() - age;
  // `max-age=0` is how browsers ask to revalidate (a reload): as no-cache, whatever the age's fraction.
  if (request.noCache || (request.maxAge !== undefined && (request.maxAge === 0 || age > request.maxAge))) return { use: 'refresh', age, ttl };
  if (ttl > 0) return { use: request.minFresh !== undefined && ttl < request.minFresh ? 'refresh' : 'fresh', age, ttl };
  return { use: -ttl < staleWhileRevalidate ? 'revalidate' : 'refresh', age, ttl };
}

/** True while a stale response may stand in for a failing handler (RFC 5861 §4). */
export function mayServeOnError(policy: CachePolicy, staleIfError: number): boolean {
  return staleIfError > 0 && policy.age() - policy.maxAge() < staleIfError;
}
