/**
 * Hostile ids and traceparents written byte for byte on raw sockets, on
 * every stack, behind a server with `insecureHTTPParser` (so NUL, DEL and
 * obs-folded values node would otherwise refuse reach the middleware): none
 * is echoed, none reaches code through getRequestId(), each is counted, and
 * the server lives on.
 */
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { isSafeRequestId, requestId } from '@ward/request-id';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, Hooks, STACKS, type Seen } from './stacks.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

const apps: App[] = [];
afterEach(async () => {
  while (apps.length > 0) await apps.pop()!.close();
});

interface RawReply {
  status: number;
  head: string;
  body: string;
}

/** GET /id with `lines` (already encoded as latin1 strings) as written, then `Connection: close`; reads until the server closes. */
function rawGet(url: string, lines: readonly string[]): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  const head = ['GET /id HTTP/1.1', `Host: ${hostname}`, ...lines, 'Connection: close', '', ''].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      resolve({ status: Number(text.slice(9, 12)), head: text.slice(0, end), body: text.slice(end + 4) });
    });
    // write, not end: a half-closed client makes node abort the request (httpAllowHalfOpen is false).
    socket.write(Buffer.from(head, 'latin1'));
  });
}

/** The value of the one `name` header line (any case); undefined when absent. */
function headerOf(reply: RawReply, name: string): string | undefined {
  const line = reply.head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

const utf8 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** Header lines whose X-Request-ID must be replaced; `marker` must appear nowhere in the answer. */
const HOSTILE_IDS: readonly { name: string; lines: string[]; marker: string }[] = [
  { name: 'NUL byte', lines: ['X-Request-ID: nul\u0000marker'], marker: 'marker' },
  { name: 'DEL byte', lines: ['X-Request-ID: delmarker\u007f'], marker: 'delmarker' },
  { name: 'obs-fold continuation', lines: ['X-Request-ID: fold', ' foldmarker'], marker: 'foldmarker' },
  { name: 'UTF-8 with a bidi override', lines: [`X-Request-ID: ${utf8('bidi\u202emarker')}`], marker: 'bidi' },
  { name: 'space', lines: ['X-Request-ID: space marker'], marker: 'space marker' },
  { name: 'tab', lines: ['X-Request-ID: tab\tmarker'], marker: 'tab\tmarker' },
  { name: 'empty', lines: ['X-Request-ID: '], marker: 'X-Request-ID: \r' },
  { name: '129 characters', lines: [`X-Request-ID: ${'q'.repeat(129)}`], marker: 'q'.repeat(129) },
  { name: '10 KB', lines: [`X-Request-ID: ${'k'.repeat(10 * 1024)}`], marker: 'k'.repeat(200) },
  { name: 'repeated header', lines: ['X-Request-ID: rep1', 'X-Request-ID: rep2'], marker: 'rep' },
  { name: 'forged JSON log line', lines: ['X-Request-ID: x","level":"fatal","msg":"forged'], marker: 'forged' },
  { name: 'HTML', lines: ['X-Request-ID: <img src=x onerror=alert(1)>'], marker: 'onerror' },
];

/** traceparent values that must start a new trace; none may come back. */
const HOSTILE_TRACEPARENTS: readonly string[] = [
  `${TRACEPARENT}\u0000`,
  `${TRACEPARENT.slice(0, 54)}\u007f`,
  utf8(`00-${TRACE_ID.slice(0, 30)}\u00e9-00f067aa0ba902b7-01`),
  `00-${TRACE_ID}-00f067aa0ba902b7-01, ${TRACEPARENT}`,
  `${TRACEPARENT}${'-x'.repeat(5000)}`,
];

describe.each(STACKS)('security: hostile request ids and traceparents on $name (raw sockets)', (stack) => {
  const insecure = (listener: Parameters<typeof createServer>[1]) => createServer({ insecureHTTPParser: true }, listener);

  async function start(registry: Registry, echoTraceparent = false): Promise<string> {
    let n = 0;
    const app = await stack.start([requestId({ generator: () => `h-${++n}`, registry, echoTraceparent })], new Hooks(), insecure);
    apps.push(app);
    return app.url;
  }

  it('replaces every hostile X-Request-ID: never echoed, never seen by the handler, counted', async () => {
    const registry = new Registry();
    const url = await start(registry);
    for (const [i, { name, lines, marker }] of HOSTILE_IDS.entries()) {
      const reply = await rawGet(url, lines);
      expect(reply.status, `${name}: ${JSON.stringify(reply.head + reply.body).slice(0, 300)}`).toBe(200);
      expect(headerOf(reply, 'x-request-id'), name).toBe(`h-${i + 1}`);
      expect(reply.head.match(/x-request-id/gi), name).toHaveLength(1);
      expect(reply.head + reply.body, name).not.toContain(marker);
      const seen = JSON.parse(reply.body) as Seen;
      expect([seen.direct, seen.afterAwait, seen.inTimer], name).toEqual([`h-${i + 1}`, `h-${i + 1}`, `h-${i + 1}`]);
      expect(isSafeRequestId(seen.direct), name).toBe(true);
    }
    expect(await registry.metrics()).toContain(`ward_request_id_replaced_total{reason="invalid_id"} ${HOSTILE_IDS.length}`);
    // The server is fine, and a safe id still passes.
    const ok = await rawGet(url, ['X-Request-ID: still-fine']);
    expect(headerOf(ok, 'x-request-id')).toBe('still-fine');
  });

  it('restarts the trace for every hostile traceparent and never echoes it', async () => {
    const registry = new Registry();
    const url = await start(registry, true);
    for (const traceparent of HOSTILE_TRACEPARENTS) {
      const reply = await rawGet(url, [`traceparent: ${traceparent}`, 'tracestate: vendor=secret-state']);
      expect(reply.status, JSON.stringify(traceparent.slice(0, 80))).toBe(200);
      const echoed = headerOf(reply, 'traceparent');
      expect(echoed).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      expect(echoed).not.toContain(TRACE_ID);
      expect(reply.body).not.toContain(TRACE_ID);
      expect(reply.head + reply.body).not.toContain('secret-state');
    }
    expect(await registry.metrics()).toContain(`ward_request_id_replaced_total{reason="invalid_traceparent"} ${HOSTILE_TRACEPARENTS.length}`);
  });
});
