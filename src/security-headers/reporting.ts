/**
 * `Reporting-Endpoints` (W3C Reporting API: `name="https://…", …`), the
 * endpoints CSP `report-to` names, built and validated at factory time.
 */
import { ENDPOINT_NAME } from './csp-directives.js';
import { checkList, checkObject, show } from './validate.js';

/** Builds the `Reporting-Endpoints` value from `{ name: url }`. */
export function reportingEndpointsValue(value: unknown, where: string): { value: string; names: ReadonlySet<string> } {
  checkObject(value, where);
  const names = Object.keys(value);
  checkList(names, where, 'name at least one endpoint, e.g. { "csp-endpoint": "https://example.com/csp" }');
  const parts = names.map((name) => {
    const at = `${where}[${JSON.stringify(name)}]`;
    if (!ENDPOINT_NAME.test(name)) throw new RangeError(`${at}: ${show(name)} is not an endpoint name (lower-case letters, digits, _ - . *)`);
    const url = value[name];
    if (typeof url !== 'string') throw new TypeError(`${at} must be a URL string, got ${show(url)}`);
    // A structured-field string: printable ASCII, without `"` and `\` (RFC 8941 §3.3.3).
    if (/[^\x21-\x7e]|["\\]/.test(url) || url === '') {
      throw new RangeError(`${at}: ${show(url)} is empty or contains a space, quote, backslash, control or non-ASCII character`);
    }
    let parsed: URL;
    try {
      parsed = new URL(url, 'https://base.invalid');
    } catch {
      throw new RangeError(`${at}: ${show(url)} is not a URL`);
    }
    const local = parsed.hostname === 'localhost' || parsed.hostname === '127.0.0.1' || parsed.hostname === '[::1]';
    // Reporting API: reports go only to potentially trustworthy URLs.
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && local)) {
      throw new RangeError(`${at}: ${show(url)} must be an https URL or a path (browsers send reports only to secure endpoints)`);
    }
    return `${name}="${url}"`;
  });
  return { value: parts.join(', '), names: new Set(names) };
}
