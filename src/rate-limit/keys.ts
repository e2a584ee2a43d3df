/**
 * The one key builder of @ward/rate-limit (STYLE.md: no bare
 * concatenation): `<prefix>{<namespace>:<key>}` — the limiter's namespace
 * and the caller's key inside one Redis Cluster hash tag, the prefix
 * outside it. Namespaces cannot hold the delimiter, so two limiters' keys
 * never collide whatever their callers' keys contain.
 *
 * Also the default HTTP identity: the client address, IPv6 grouped by
 * subnet (one host owns a whole /64 and could otherwise rotate through it).
 */
import ipaddr from 'ipaddr.js';

const MAPPED_DOTTED = /^::ffff:\d{1,3}(?:\.\d{1,3}){3}$/;

/** Separates the namespace from the caller's key. */
export const KEY_DELIMITER = ':';

/** The store key prefix of a limiter: everything before the caller's key. */
export function keyPrefix(prefix: string, namespace: string): string {
  return `${prefix}{${namespace}${KEY_DELIMITER}`;
}

/** The full store key of `key` under a {@link keyPrefix}. */
export function storeKey(prefixed: string, key: string): string {
  return `${prefixed}${key}}`;
}

/** The caller's key inside a full store key of `prefixed` ({@link storeKey} undone), or undefined when it is not one. */
export function callerKey(prefixed: string, full: string): string | undefined {
  return full.length > prefixed.length && full.startsWith(prefixed) && full.endsWith('}') ? full.slice(prefixed.length, -1) : undefined;
}

/**
 * The rate-limit identity of a client address: IPv4 as it is (an
 * IPv4-mapped IPv6 address as its IPv4), IPv6 masked to its first
 * `ipv6Subnet` bits and written `2001:db8:0:1::/64`. An address that does
 * not parse is used as it is (it still names one bucket).
 */
export function ipKey(address: string, ipv6Subnet: number): string {
  if (address.indexOf(':') === -1) return address;
  // Node's own spelling of a mapped address on a dual-stack socket: no parse needed.
  if (address.startsWith('::ffff:') && MAPPED_DOTTED.test(address)) return address.slice(7);
  let parsed: ipaddr.IPv6;
  try {
    parsed = ipaddr.IPv6.parse(address);
  } catch {
    return address;
  }
  // Every spelling of a mapped address (`::FFFF:5.5.5.5`, `::ffff:505:505`,
  // `0:0:0:0:0:ffff:5.5.5.5`) is that IPv4 client, not the shared ::/64.
  if (parsed.isIPv4MappedAddress()) return parsed.toIPv4Address().toString();
  const bytes = parsed.toByteArray();
  for (let bit = ipv6Subnet; bit < 128; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return `${ipaddr.fromByteArray(bytes).toString()}/${ipv6Subnet}`;
}
