/**
 * Log injection defence (OWASP Logging Cheat Sheet: "sanitization … carriage
 * return (CR), line feed (LF) and delimiter characters"). Every string a
 * request controls (path, user agent, ids, decoded parameters and query
 * values, a user id taken from a token) goes through {@link safeText} before
 * it enters a record, so that no sink — JSON or not — can be made to show a
 * second line, move the cursor, or reorder text.
 *
 * JSON.stringify alone is not enough: it escapes U+0000–U+001F but writes
 * the C1 controls (U+0080–U+009F, which node's parser lets through as
 * latin-1 bytes: NEL U+0085 is a line break to some viewers, CSI U+009B
 * starts a terminal escape) and U+2028/U+2029 raw, and a non-JSON sink
 * (pino-pretty, a console logger) escapes nothing.
 */

/**
 * Characters escaped in logged values: every C0/C1 control and DEL
 * (`\p{Cc}`), the Unicode line and paragraph separators, the bidirectional
 * overrides and isolates ("Trojan Source", CVE-2021-42574), and unpaired
 * surrogates (not valid UTF-8).
 */
const UNSAFE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]|\p{Cs}/u;
const UNSAFE_ALL = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]|\p{Cs}/gu;

/** Appended to a value cut at the length limit. */
export const TRUNCATED = '…';

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `value` made safe for one log line: cut to `maxChars` (plus `…`), then
 * control and separator characters written as visible escapes (`\x0d`,
 * `\x85`, `\u2028`). Returns `value` itself, without copying, when it is
 * already safe, which is the common case.
 *
 * @example
 * safeText('evil\r\nFAKE LINE', 100); // 'evil\\x0d\\x0aFAKE LINE'
 */
export function safeText(value: string, maxChars: number): string {
  let text = value;
  if (text.length > maxChars) {
    let end = maxChars;
    // Do not split a surrogate pair at the cut.
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end -= 1;
    text = text.slice(0, end) + TRUNCATED;
  }
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, escapeChar) : text;
}

/** {@link safeText} of a string; `null` for anything else (absent headers, ids that are not strings). */
export function safeOrNull(value: unknown, maxChars: number): string | null {
  return typeof value === 'string' ? safeText(value, maxChars) : null;
}
