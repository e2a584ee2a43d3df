/**
 * Option checking shared by the factories of @ward/security-headers: every
 * mistake is thrown when the factory runs (STYLE.md rule 6), as a TypeError
 * for a wrong type or a RangeError for a bad value, naming the option path,
 * showing the value and, for a misspelt key, suggesting the right one
 * (helmet: "Did you mean `maxAge`?").
 */

/** Renders a value for an error message: strings quoted with CR/LF escaped, objects by kind. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return String(value);
}

/** Throws a TypeError unless `value` is a plain object (not null, not an array). */
export function checkObject(value: unknown, where: string): asserts value is Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${where} must be an object, got ${show(value)}`);
  }
}

/** Throws a RangeError for the first own key of `object` not in `allowed`, with a suggestion. */
export function checkKeys(object: object, allowed: readonly string[], where: string, hint?: (key: string) => string | undefined): void {
  for (const key of Object.keys(object)) {
    if (allowed.includes(key)) continue;
    const guess = hint?.(key) ?? suggest(key, allowed);
    throw new RangeError(`${where}: unknown option ${JSON.stringify(key)}${guess === undefined ? '' : `. Did you mean ${JSON.stringify(guess)}?`}`);
  }
}

/** Throws a TypeError unless `value` is a boolean. */
export function checkBoolean(value: unknown, where: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${where} must be a boolean, got ${show(value)}`);
}

/** Throws unless `value` is one of `choices` (TypeError for a non-string, RangeError for an unknown string). */
export function checkChoice<T extends string>(value: unknown, choices: readonly T[], where: string): asserts value is T {
  if (typeof value !== 'string') {
    throw new TypeError(`${where} must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')} or false, got ${show(value)}`);
  }
  if (!(choices as readonly string[]).includes(value)) {
    const guess = suggest(value, choices);
    throw new RangeError(
      `${where} must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')} or false, got ${show(value)}` +
        (guess === undefined ? '' : `. Did you mean ${JSON.stringify(guess)}?`),
    );
  }
}

/** Throws unless `value` is an array (TypeError) that is not empty (RangeError). */
export function checkList(value: unknown, where: string, emptyHint: string): asserts value is readonly unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`${where} must be an array, got ${show(value)}`);
  if (value.length === 0) throw new RangeError(`${where} is an empty list: ${emptyHint}`);
}

/**
 * The closest name of `allowed`: the same letters ignoring case and dashes,
 * or a few edits away (2, or a quarter of the name's length if longer).
 */
export function suggest(name: string, allowed: readonly string[]): string | undefined {
  const plain = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');
  const wanted = plain(name);
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(wanted.length / 4)) + 1;
  for (const candidate of allowed) {
    const other = plain(candidate);
    if (other === wanted) return candidate;
    const distance = editDistance(wanted, other, bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance, or `limit` as soon as it cannot be below it. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return Math.min(previous[b.length]!, limit);
}
