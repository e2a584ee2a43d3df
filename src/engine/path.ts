/**
 * Route templates (`/users/:id`, `/files/*path`): parsed and validated once,
 * at registration, so that a bad template fails at start with a message that
 * names it, and the request path never parses anything.
 *
 * Templates are matched against the raw (undecoded) request path, so they
 * must be written the way a client sends them: RFC 3986 §3.3 path
 * characters only, anything else percent-encoded.
 */

/** One `/`-separated piece of a template. */
export type Segment =
  | { readonly kind: 'static'; readonly text: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'wildcard'; readonly name: string };

/** A parameter or wildcard name: an identifier, so it reads well as `ctx.param('userId')`. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** RFC 3986 §3.3: pchar = unreserved / pct-encoded / sub-delims / ":" / "@"; plus "/" between segments. */
const PATH_CHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@%/]/;
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;

/**
 * Splits and checks a full route template. Throws a TypeError for a
 * non-string and a RangeError naming the problem and the fix for a bad
 * template: no leading `/`, a query string, characters that must be
 * percent-encoded, a bad parameter name, a repeated name, a wildcard that is
 * not the last segment.
 */
export function parseTemplate(template: string): Segment[] {
  if (typeof template !== 'string') {
    throw new TypeError(`A route path must be a string, got ${template === null ? 'null' : typeof template}`);
  }
  const shown = JSON.stringify(template);
  if (template.charCodeAt(0) !== 47) {
    throw new RangeError(`Route path ${shown} must start with "/" (e.g. "/${template}")`);
  }
  const q = template.search(/[?#]/);
  if (q !== -1) {
    throw new RangeError(
      `Route path ${shown} contains "${template[q]}": routes match the path only; read the query with ctx.req.query`,
    );
  }
  if (!PATH_CHARS.test(template)) {
    const bad = [...template].find((ch) => !PATH_CHAR.test(ch)) ?? '';
    throw new RangeError(
      `Route path ${shown} contains ${JSON.stringify(bad)}, which a client sends percent-encoded; routes match the raw path, ` +
        `so write it encoded: ${JSON.stringify(encodeTemplate(template))}`,
    );
  }
  if (BAD_PERCENT.test(template)) {
    throw new RangeError(`Route path ${shown} has a "%" that is not followed by two hex digits; write a literal "%" as "%25"`);
  }

  const parts = template.slice(1).split('/');
  const segments: Segment[] = [];
  const names = new Set<string>();
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const sigil = part.charCodeAt(0);
    if (sigil !== 58 /* : */ && sigil !== 42 /* * */) {
      segments.push({ kind: 'static', text: part });
      continue;
    }
    const kind = sigil === 58 ? 'param' : 'wildcard';
    const what = kind === 'param' ? 'parameter' : 'wildcard';
    const name = part.slice(1);
    if (name === '') {
      throw new RangeError(`Route path ${shown}: a ${what} needs a name, e.g. "${part}${kind === 'param' ? 'id' : 'path'}"`);
    }
    if (!NAME.test(name) || name === '__proto__') {
      throw new RangeError(
        `Route path ${shown}: ${JSON.stringify(name)} is not a valid ${what} name; use letters, digits and "_", ` +
          `not starting with a digit (a ${what} takes a whole segment)`,
      );
    }
    if (names.has(name)) {
      throw new RangeError(`Route path ${shown} uses the name ${JSON.stringify(name)} twice; give each parameter its own name`);
    }
    if (kind === 'wildcard' && i !== parts.length - 1) {
      throw new RangeError(`Route path ${shown}: the wildcard "${part}" must be the last segment (it matches the rest of the path)`);
    }
    names.add(name);
    segments.push({ kind, name });
  }
  return segments;
}

/**
 * Checks a group prefix: `''` (no prefix) or a path starting with `/` and not
 * ending with one. The template rules are checked on each full route path.
 */
export function checkPrefix(prefix: string): void {
  if (typeof prefix !== 'string') {
    throw new TypeError(`group(prefix): prefix must be a string, got ${prefix === null ? 'null' : typeof prefix}`);
  }
  if (prefix === '') return;
  const shown = JSON.stringify(prefix);
  if (prefix.charCodeAt(0) !== 47) {
    throw new RangeError(`group(prefix): prefix ${shown} must start with "/" (e.g. "/${prefix}"), or be "" for no prefix`);
  }
  if (prefix.endsWith('/')) {
    const fixed = prefix.replace(/\/+$/, '');
    throw new RangeError(
      `group(prefix): prefix ${shown} must not end with "/"; use ${JSON.stringify(fixed)} and start route paths with "/"`,
    );
  }
}

/** The template with every character a client would encode percent-encoded (for error messages). */
function encodeTemplate(template: string): string {
  let out = '';
  for (const ch of template) {
    if (PATH_CHAR.test(ch)) out += ch;
    else {
      try {
        out += encodeURIComponent(ch);
      } catch {
        out += '%EF%BF%BD'; // a lone surrogate: U+FFFD
      }
    }
  }
  return out;
}
