/**
 * Checks on a compact JWS that jose does not make: no member name twice in
 * the protected header or the claims (RFC 7519 §4: a recipient MUST reject
 * a JWT with duplicate names, or keep the last — silently keeping the last
 * lets `"sub":"alice",…,"sub":"admin"` pass), and no `b64` header at all
 * (RFC 7797 unencoded payloads are never ours; jose ignores `b64` when it
 * is not listed in `crit`).
 */

/** Undefined when the token passes; else why it does not. */
export function jwsStructureProblem(token: string): string | undefined {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const header = decoded(token.slice(0, first));
  const payload = decoded(token.slice(first + 1, second));
  // Not JSON at all: jose refuses it with its own reason.
  if (header === undefined || payload === undefined) return undefined;
  const headerNames = topLevelNames(header);
  if (headerNames === undefined) return undefined;
  if (hasDuplicate(headerNames)) return 'a header member appears twice';
  if (headerNames.includes('b64')) return 'an unencoded payload (b64) is not accepted';
  const claimNames = topLevelNames(payload);
  if (claimNames !== undefined && hasDuplicate(claimNames)) return 'a claim appears twice';
  return undefined;
}

function decoded(segment: string): string | undefined {
  try {
    return Buffer.from(segment, 'base64url').toString('utf8');
  } catch {
    return undefined;
  }
}

function hasDuplicate(names: readonly string[]): boolean {
  return new Set(names).size !== names.length;
}

/**
 * The member names of a JSON object text, decoded (`"s\u0075b"` is `sub`);
 * undefined when the text is no object this scanner can read (jose then
 * judges it).
 */
function topLevelNames(text: string): string[] | undefined {
  const names: string[] = [];
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return undefined;
  i = skipSpace(text, i + 1);
  if (text[i] === '}') return names;
  for (;;) {
    if (text[i] !== '"') return undefined;
    const end = stringEnd(text, i);
    if (end === -1) return undefined;
    try {
      names.push(JSON.parse(text.slice(i, end + 1)) as string);
    } catch {
      return undefined;
    }
    i = skipSpace(text, end + 1);
    if (text[i] !== ':') return undefined;
    i = skipValue(text, skipSpace(text, i + 1));
    if (i === -1) return undefined;
    i = skipSpace(text, i);
    if (text[i] === '}') return names;
    if (text[i] !== ',') return undefined;
    i = skipSpace(text, i + 1);
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}

/** The index of the closing quote of the string starting at `i`; -1 when it does not close. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '"') return j;
  }
  return -1;
}

/** The index just past the value starting at `i` (nested objects and arrays skipped whole); -1 when it does not end. */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') {
    const end = stringEnd(text, i);
    return end === -1 ? -1 : end + 1;
  }
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') {
        j = stringEnd(text, j);
        if (j === -1) return -1;
      } else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < text.length && text[j] !== ',' && text[j] !== '}' && text[j] !== ']' && text[j] !== ' ' && text[j] !== '\t' && text[j] !== '\n' && text[j] !== '\r') j++;
  return j === i ? -1 : j;
}
