/**
 * Permission strings: `resource:action[:more]`, segments of RFC 9110 token
 * characters except `:`. A grant may use `*` as a whole segment: in the
 * middle it stands for exactly one segment (`*:read` grants `orders:read`,
 * not `orders:read:own`); at the end for one or more (`orders:*` grants
 * `orders:read` and `orders:read:own`); `*` alone grants everything.
 * Nothing else is implied: `orders:read` does not grant `orders:readAll`
 * (no prefix matching, OWASP least privilege), and names are case-sensitive.
 */
import { describeValue } from '@ward/core';

const SEGMENT = /^[!#$%&'+\-.^_`|~0-9A-Za-z]+$/;

/** Validates a permission; wildcards only where `grant` is true. */
export function permissionOf(value: unknown, where: string, grant: boolean): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) throw new TypeError(`${where} must be a permission such as 'orders:read', got ${describeValue(value)}`);
  for (const segment of value.split(':')) {
    if (segment === '*') {
      if (!grant) throw new RangeError(`${where}: '${value}' — a required permission cannot contain '*' (wildcards are for grants)`);
    } else if (!SEGMENT.test(segment)) throw new RangeError(`${where}: '${value}' has an empty or invalid segment (letters, digits and -._~ etc., separated by ':')`);
  }
  return value;
}

/** A compiled set of grants: exact names in a Set, wildcard grants as segment lists. */
export class PermissionSet {
  readonly #exact = new Set<string>();
  readonly #patterns: (readonly string[])[] = [];
  #all = false;

  constructor(grants: Iterable<string>) {
    for (const grant of grants) this.add(grant);
  }

  add(grant: string): void {
    if (grant === '*') this.#all = true;
    else if (grant.includes('*')) this.#patterns.push(grant.split(':'));
    else this.#exact.add(grant);
  }

  has(permission: string): boolean {
    if (this.#all || this.#exact.has(permission)) return true;
    if (this.#patterns.length === 0) return false;
    const wanted = permission.split(':');
    return this.#patterns.some((pattern) => matches(pattern, wanted));
  }

  /** Every grant, for descriptions. */
  list(): string[] {
    return [...(this.#all ? ['*'] : []), ...this.#exact, ...this.#patterns.map((p) => p.join(':'))];
  }
}

function matches(pattern: readonly string[], wanted: readonly string[]): boolean {
  const last = pattern.length - 1;
  if (pattern[last] === '*' ? wanted.length < pattern.length : wanted.length !== pattern.length) return false;
  for (let i = 0; i < last; i++) if (pattern[i] !== '*' && pattern[i] !== wanted[i]) return false;
  return pattern[last] === '*' || pattern[last] === wanted[last];
}
