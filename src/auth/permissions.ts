/**
 * Permission strings: `resource:action[:more]`, segments of RFC 9110 token
 * characters except `:`. A grant may use `*` as a whole segment: in the
 * middle it stands for exactly one segment (`*:read` grants `orders:read`,
 * not `orders:read:own`); at the end for one or more (`orders:*` grants
 * `orders:read` and `orders:read:own`); `*` alone grants everything.
 * Nothing else is implied: `orders:read` does not grant `orders:readAll`
 * (no prefix matching, OWASP Authorization CS "least privilege"), and names
 * are case-sensitive.
 */
import { describeValue } from '@ward/core';

/** RFC 9110 §5.6.2 tchar, without `*` (the wildcard) — `:` separates segments. */
const SEGMENT = /^[!#$%&'+\-.^_`|~0-9A-Za-z]+$/;
const MAX_LENGTH = 256;

/** Validates a permission at configuration; wildcards only where `grant` is true. */
export function permissionOf(value: unknown, where: string, grant: boolean): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) {
    throw new TypeError(`${where} must be a permission such as 'orders:read' (1 to ${MAX_LENGTH} characters), got ${describeValue(value)}`);
  }
  for (const segment of value.split(':')) {
    if (segment === '*') {
      if (!grant) throw new RangeError(`${where}: '${value}' — a required permission cannot contain '*' (wildcards are for grants)`);
    } else if (!SEGMENT.test(segment)) {
      throw new RangeError(`${where}: '${value}' has an empty or invalid segment (letters, digits and !#$%&'+-.^_\`|~, separated by ':')`);
    }
  }
  return value;
}

/** A required permission, split once at configuration so a request never splits it. */
export interface Wanted {
  readonly name: string;
  readonly segments: readonly string[];
}

/** A required permission, validated (no wildcard) and pre-split. */
export function wantedOf(value: unknown, where: string): Wanted {
  const name = permissionOf(value, where, false);
  return Object.freeze({ name, segments: Object.freeze(name.split(':')) });
}

/**
 * A compiled set of grants: `*` as a flag, exact names in a `Set` (one
 * lookup), wildcard grants as segment lists tried only when the exact
 * lookup misses.
 */
export class PermissionSet {
  readonly #exact = new Set<string>();
  readonly #patterns: (readonly string[])[] = [];
  #all = false;

  constructor(grants: Iterable<string>) {
    for (const grant of grants) {
      if (grant === '*') this.#all = true;
      else if (grant.split(':').includes('*')) this.#patterns.push(Object.freeze(grant.split(':')));
      else this.#exact.add(grant);
    }
  }

  /** True when a grant covers `wanted` (a validated, wildcard-free permission). */
  has(wanted: Wanted): boolean {
    if (this.#all || this.#exact.has(wanted.name)) return true;
    for (const pattern of this.#patterns) if (covers(pattern, wanted.segments)) return true;
    return false;
  }

  /** Every grant, for compilation and descriptions. */
  list(): string[] {
    return [...(this.#all ? ['*'] : []), ...this.#exact, ...this.#patterns.map((p) => p.join(':'))];
  }
}

/**
 * Whether a wildcard grant (as segments) covers a wanted permission: an
 * inner `*` is one segment, a trailing `*` one or more.
 */
export function covers(pattern: readonly string[], wanted: readonly string[]): boolean {
  const last = pattern.length - 1;
  if (pattern[last] === '*' ? wanted.length < pattern.length : wanted.length !== pattern.length) return false;
  for (let i = 0; i < last; i++) if (pattern[i] !== '*' && pattern[i] !== wanted[i]) return false;
  return pattern[last] === '*' || pattern[last] === wanted[last];
}

/**
 * Whether one grant asserted by a token covers `wanted`, without
 * compiling: exact equality, or — only when wildcards in tokens are
 * enabled — whole-segment wildcard matching. Any string is safe here: a
 * malformed grant (`orders::x`, `orders:re*`) can never equal or cover a
 * validated permission, since those have no empty segment and no `*`.
 */
export function tokenGrantCovers(grant: unknown, wanted: Wanted, wildcards: boolean): boolean {
  if (typeof grant !== 'string') return false;
  if (grant === wanted.name) return true;
  if (!wildcards || !grant.includes('*')) return false;
  if (grant === '*') return true;
  return covers(grant.split(':'), wanted.segments);
}
