/**
 * Client address and scheme, resolved once here for every adapter.
 * Forwarding headers are ignored unless the user names the proxies they trust
 * (OWASP: never trust `X-Forwarded-For` from the open internet).
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * Which peers may set `X-Forwarded-For` / `X-Forwarded-Proto`:
 * - `false` (default): none; the socket address is the client.
 * - a number `n`: trust the `n` nearest hops (e.g. `1` behind one load balancer).
 * - a string or list: addresses or CIDRs, or the names `loopback`,
 *   `linklocal`, `uniquelocal` (proxy-addr syntax).
 * - a function `(address, hopIndex) => boolean`.
 */
export type TrustProxy = false | number | string | readonly string[] | ((address: string, hop: number) => boolean);

/** A compiled trust setting: returns the client IP and whether the request came over TLS. */
export interface ClientResolver {
  ip(req: IncomingMessage): string;
  secure(req: IncomingMessage): boolean;
}

const direct: ClientResolver = {
  ip: (req) => req.socket.remoteAddress ?? '',
  secure: (req) => isTlsSocket(req),
};

/** Compiles a {@link TrustProxy} setting at configuration time. */
export function clientResolver(trust: TrustProxy = false): ClientResolver {
  if (trust === false) return direct;
  const isTrusted = compileTrust(trust);
  // Some proxies (Azure's among them) write `IP:port` entries: the port is
  // dropped before the trust check and from the answer, so a client's
  // changing source port never makes it a new client.
  const isTrustedHop = (address: string, hop: number): boolean => isTrusted(withoutPort(address), hop);
  return {
    ip: (req) => withoutPort(proxyaddr(req, isTrustedHop)),
    secure(req) {
      if (isTlsSocket(req)) return true;
      const peer = req.socket.remoteAddress;
      if (peer === undefined || !isTrusted(peer, 0)) return false;
      const header = req.headers['x-forwarded-proto'];
      const value = Array.isArray(header) ? header[0] : header;
      if (value === undefined) return false;
      const comma = value.indexOf(',');
      return (comma === -1 ? value : value.slice(0, comma)).trim().toLowerCase() === 'https';
    },
  };
}

function compileTrust(trust: Exclude<TrustProxy, false>): (address: string, hop: number) => boolean {
  if (typeof trust === 'function') return trust;
  if (typeof trust === 'number') {
    if (!Number.isInteger(trust) || trust < 0) {
      throw new RangeError(`trustProxy as a hop count must be a non-negative integer, got ${trust}`);
    }
    return (_address, hop) => hop < trust;
  }
  if (typeof trust === 'string' || Array.isArray(trust)) {
    const list = typeof trust === 'string' ? trust.split(',').map((s) => s.trim()) : [...trust];
    try {
      return proxyaddr.compile(list);
    } catch (error) {
      throw new TypeError(`trustProxy: ${(error as Error).message} (expected addresses, CIDRs, or loopback/linklocal/uniquelocal)`);
    }
  }
  throw new TypeError(
    `trustProxy must be false, a hop count, addresses/CIDRs or a function, got ${String(trust)}. ` +
      'There is no `true`: name the proxies you trust, or pass () => true knowingly.',
  );
}

/** `5.5.5.5:51234` → `5.5.5.5`, `[2001:db8::1]:443` and `[2001:db8::1]` → `2001:db8::1`; anything else as it is. */
export function withoutPort(address: string): string {
  if (address.charCodeAt(0) === 0x5b /* [ */) {
    const close = address.indexOf(']');
    if (close !== -1 && (close === address.length - 1 || PORT.test(address.slice(close + 1)))) return address.slice(1, close);
    return address;
  }
  const colon = address.indexOf(':');
  if (colon === -1 || address.indexOf(':', colon + 1) !== -1) return address;
  return DOTTED.test(address.slice(0, colon)) && PORT.test(address.slice(colon)) ? address.slice(0, colon) : address;
}

const PORT = /^:\d{1,5}$/;
const DOTTED = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function isTlsSocket(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}
