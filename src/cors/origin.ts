/**
 * Origins as browsers send them, and configured origins brought to that form.
 *
 * A browser's `Origin` header is the ASCII serialization of an origin (HTML
 * "serialization of an origin"; RFC 6454 §6.2): `scheme "://" host [":" port]`,
 * lower case, IDNs in punycode, no default port, no path, no trailing slash —
 * or the string `null`. Configured origins are normalised to exactly that form
 * once, at configuration time, so a request costs one `Set` lookup and the
 * request's value is never normalised (an upper-case or slash-terminated
 * `Origin` is not what a browser sends, and is refused).
 */

/**
 * Longest `Origin` value looked at. A DNS name is at most 253 octets, so a
 * serialized origin with scheme and port stays well below; anything longer is
 * refused without running a matcher on it.
 */
export const MAX_ORIGIN_LENGTH = 512;

/**
 * The serialized-origin grammar as browsers produce it: lower-case scheme,
 * a host of URL host code points (lower case, punycode, percent-encoded for
 * opaque hosts) or a bracketed IPv6 literal, an optional port. No user info,
 * no path, no whitespace, no comma (two joined `Origin` headers carry one).
 * Linear: no nested quantifiers.
 */
const SERIALIZED_ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/(?:[a-z0-9\-._~!$&'()*+;=%]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;

/** Schemes whose host the URL standard parses (lower-cased, IDNA, default port dropped). */
const SPECIAL_SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'ws', 'wss', 'ftp']);

const CONFIGURED = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([\s\S]*)$/;
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;

/**
 * True when `value` has the exact shape of a serialized origin a browser
 * sends (not `null`). Cheap: a length check and one linear regex.
 *
 * @example
 * isSerializedOrigin('https://app.example.com');   // true
 * isSerializedOrigin('https://app.example.com/');  // false
 */
export function isSerializedOrigin(value: string): boolean {
  return value.length <= MAX_ORIGIN_LENGTH && SERIALIZED_ORIGIN.test(value);
}

/**
 * Brings a configured origin to the form a browser sends in `Origin`:
 * scheme and host lower-cased, an IDN host in punycode, the default port
 * dropped (`https://Example.COM:443` → `https://example.com`). Throws a
 * `RangeError` that names the problem for anything that is not an origin: a
 * path or trailing slash, user info, a query, whitespace, no host.
 *
 * Use it when an allowlist comes from a database or an environment variable,
 * to store and compare origins in the same form the middleware does.
 *
 * @example
 * normalizeOrigin('https://Bücher.example:443'); // 'https://xn--bcher-kva.example'
 * normalizeOrigin('https://app.example.com/');   // RangeError: remove the trailing slash
 */
export function normalizeOrigin(input: string): string {
  if (typeof input !== 'string') {
    throw new TypeError(`an origin must be a string such as 'https://app.example.com', got ${input === null ? 'null' : typeof input}`);
  }
  const shown = JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}…` : input);
  if (WHITESPACE_OR_CONTROL.test(input)) {
    throw new RangeError(`${shown} is not an origin: it contains whitespace or control characters`);
  }
  const match = CONFIGURED.exec(input);
  if (match === null) {
    throw new RangeError(`${shown} is not an origin: expected scheme://host[:port], e.g. 'https://app.example.com'`);
  }
  const scheme = match[1]!.toLowerCase();
  const authority = match[2]!;
  const rest = match[3]!;
  if (rest === '/') {
    throw new RangeError(`${shown} is not an origin: remove the trailing slash (browsers send 'scheme://host[:port]' without one)`);
  }
  if (rest !== '') {
    throw new RangeError(`${shown} is not an origin: an origin has no path, query or fragment; use 'scheme://host[:port]'`);
  }
  if (authority.includes('@')) {
    throw new RangeError(`${shown} is not an origin: remove the user info before '@'`);
  }
  let normalized: string;
  if (SPECIAL_SCHEMES.has(scheme)) {
    let url: URL;
    try {
      url = new URL(`${scheme}://${authority}`);
    } catch {
      throw new RangeError(`${shown} is not an origin: its host or port does not parse`);
    }
    normalized = `${url.protocol}//${url.host}`;
  } else {
    // Opaque hosts (chrome-extension://id, capacitor://localhost) are compared as written, in lower case.
    normalized = `${scheme}://${authority.toLowerCase()}`;
  }
  if (!isSerializedOrigin(normalized)) {
    throw new RangeError(`${shown} is not an origin a browser can send: expected scheme://host[:port], e.g. 'https://app.example.com'`);
  }
  return normalized;
}

/**
 * Checks that a RegExp used as an origin pattern cannot be tricked by the
 * usual mistakes, and throws a `RangeError` naming the fix:
 * - the `g` or `y` flag (`test()` then keeps `lastIndex` between requests,
 *   so one origin is allowed and refused in turn);
 * - a missing `^` or `$` anchor (`/example\.com/` also matches
 *   `https://example.com.evil.net` and `https://evil-example.com`);
 * - a top-level `|` (`/^https:\/\/a\.com|b\.com$/` anchors each branch on
 *   one side only).
 */
export function checkOriginPattern(pattern: RegExp, where: string): RegExp {
  if (pattern.global || pattern.sticky) {
    throw new RangeError(
      `${where}: ${String(pattern)} has the ${pattern.global ? 'g' : 'y'} flag, so test() keeps lastIndex between requests and the same origin is allowed and refused in turn; remove the flag`,
    );
  }
  const source = pattern.source;
  if (!source.startsWith('^') || !endsWithAnchor(source)) {
    throw new RangeError(
      `${where}: ${String(pattern)} must be anchored with ^ and $, e.g. /^https:\\/\\/(?:app|admin)\\.example\\.com$/; an unanchored pattern also matches origins such as https://example.com.evil.net`,
    );
  }
  if (hasTopLevelAlternation(source)) {
    throw new RangeError(
      `${where}: ${String(pattern)} has a top-level '|', so ^ and $ each anchor one branch only; group the alternatives: /^(?:a|b)$/`,
    );
  }
  return pattern;
}

/** True when `source` ends with a `$` that is not escaped (an even run of backslashes before it). */
function endsWithAnchor(source: string): boolean {
  if (!source.endsWith('$')) return false;
  let slashes = 0;
  for (let i = source.length - 2; i >= 0 && source[i] === '\\'; i--) slashes++;
  return slashes % 2 === 0;
}

/** True when `source` has a `|` outside every group and character class. */
function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
    } else if (c === '|' && depth === 0) {
      return true;
    }
  }
  return false;
}
