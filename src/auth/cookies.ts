/**
 * Cookie helpers. (readCookie first; the refresh-token cookie builders are added next to it.)
 */

/** Longest Cookie field scanned, in characters: past it the field is ignored (bounded work on hostile input). */
const MAX_COOKIE_HEADER = 16_384;

/**
 * The value of cookie `name` in a `Cookie` field, or undefined. Exact,
 * case-sensitive name match (RFC 6265bis §5.7.4); the first occurrence
 * wins; surrounding double quotes are removed; never throws.
 */
export function readCookie(header: string, name: string): string | undefined {
  if (typeof header !== 'string' || header.length > MAX_COOKIE_HEADER) return undefined;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      let value = header.slice(eq + 1, end).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value;
    }
    start = end + 1;
  }
  return undefined;
}
