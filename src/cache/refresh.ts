/**
 * Background refresh for stale-while-revalidate. A middleware cannot run
 * its downstream twice for one request, and the request that found the
 * entry stale has already been answered with it; so the refresh is a real
 * request to the same server, over the socket the stale request arrived
 * on (its local address and port), through the whole app — every
 * middleware, the same route, the same credentials — carrying a random
 * per-cache token in `ward-cache-refresh` that tells the cache to run the
 * handler and store the answer. Without the token the header means
 * nothing, so clients cannot force a refresh.
 */
import { randomBytes } from 'node:crypto';
import { type OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Context } from '@ward/core';

/** The request header of a background refresh. */
export const REFRESH_HEADER = 'ward-cache-refresh';

/** The tokens of this process's caches: what {@link isCacheRefresh} accepts. */
const TOKENS = new Set<string>();

/** A fresh token for one cache, known to {@link isCacheRefresh} from now on. */
export function refreshToken(): string {
  const token = randomBytes(18).toString('base64url');
  TOKENS.add(token);
  return token;
}

/**
 * True for a background refresh one of this process's response caches
 * sent (its token checked, so a client cannot claim one): for middleware
 * that should not count it, a rate limiter's `skip`, say.
 *
 * @example
 * rateLimit({ policies: [perMinute], skip: isCacheRefresh })
 */
export function isCacheRefresh(ctx: Context): boolean {
  const value = ctx.req.headers[REFRESH_HEADER];
  return typeof value === 'string' && TOKENS.has(value);
}

/** Request fields a refresh does not copy: hop-by-hop, the body's, the client's own conditions and cache directives. */
const NOT_COPIED: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect',
  'content-length', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range', 'cache-control', 'pragma',
]);

/**
 * Sends the refresh of `ctx`'s request; resolves with whether the answer
 * was stored (its `Cache-Status` says `stored`), rejects when it could not
 * be sent or took over `timeoutMs`.
 */
export function backgroundRefresh(ctx: Context, token: string, timeoutMs: number): Promise<boolean> {
  const socket = ctx.raw.req.socket as Socket & { encrypted?: boolean };
  const port = socket.localPort;
  const address = socket.localAddress;
  if (port === undefined || address === undefined) return Promise.reject(new Error('the stale request did not arrive over TCP: there is no address to refresh through'));
  const headers: OutgoingHttpHeaders = {};
  const raw = ctx.raw.req.headers;
  for (const name of Object.keys(raw)) if (!NOT_COPIED.has(name)) headers[name] = raw[name];
  headers[REFRESH_HEADER] = token;
  headers.connection = 'close';
  const tls = socket.encrypted === true;
  const host = String(raw.host ?? '').replace(/:\d+$/, '');
  return new Promise<boolean>((resolve, reject) => {
    const send = tls ? httpsRequest : httpRequest;
    const outgoing = send(
      {
        host: address,
        port,
        method: 'GET',
        path: ctx.req.url,
        headers,
        agent: false,
        timeout: timeoutMs,
        // Our own socket, reached by its address: the certificate names the public host, not this address.
        ...(tls ? { rejectUnauthorized: false, servername: host === '' ? undefined : host } : {}),
      },
      (res) => {
        const status = String(res.headers['cache-status'] ?? '');
        res.on('error', reject);
        res.on('end', () => {
          // A 5xx is a refresh that failed (the stale entry stays), not one that merely was not stored.
          const code = res.statusCode ?? 0;
          if (code >= 500) reject(new Error(`the background refresh was answered ${code}`));
          else resolve(/;\s*stored(;|$)/.test(status));
        });
        res.resume();
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`the background refresh took over ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
}
