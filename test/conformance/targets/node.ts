/**
 * Target `node`: @ward/node's wardListener around plain node:http handlers
 * that write with `res.setHeader`/`res.writeHead`/`res.write`/`res.end`.
 * Routing is the app's own: a matched route runs the chain with its handler;
 * anything else runs the chain without one (ward's 404 problem).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as tick } from 'node:timers/promises';
import { originForm } from '@ward/core';
import { listen } from '@ward/core/testing';
import type { Target, TargetApp, TargetSetup } from '../harness.js';
import { loadAdapter } from './load.js';
import { CREATED_BODY, failingChunks, type HandlerKind, JSON_BODY, JSON_TYPE, LATE_BODY, type Probe, streamChunks, TEXT_BODY, TEXT_TYPE } from '../probe.js';

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

function handlerFor(kind: HandlerKind, probe: Probe): NodeHandler {
  switch (kind) {
    case 'json':
      return (_req, res) => {
        probe.ran('json');
        res.setHeader('content-type', JSON_TYPE);
        res.end(JSON.stringify(JSON_BODY));
      };
    case 'created':
      return (_req, res) => {
        probe.ran('created');
        res.writeHead(201, { 'content-type': JSON_TYPE, 'x-handler': '1' });
        res.end(JSON.stringify(CREATED_BODY));
      };
    case 'text':
      return (_req, res) => {
        probe.ran('text');
        res.setHeader('content-type', TEXT_TYPE);
        res.end(TEXT_BODY);
      };
    case 'throwSync':
      return () => {
        probe.ran('throwSync');
        throw probe.failure('throwSync');
      };
    case 'rejectAsync':
      return async () => {
        probe.ran('rejectAsync');
        await tick();
        throw probe.failure('rejectAsync');
      };
    case 'stream':
      return async (_req, res) => {
        probe.ran('stream');
        res.setHeader('content-type', TEXT_TYPE);
        for await (const chunk of streamChunks()) res.write(chunk);
        res.end();
      };
    case 'streamThenThrow':
      return async (_req, res) => {
        probe.ran('streamThenThrow');
        res.setHeader('content-type', TEXT_TYPE);
        for await (const chunk of failingChunks(probe)) res.write(chunk);
        res.end();
      };
    case 'slow':
      return (_req, res) => {
        probe.ran('slow');
        return probe.lateWrite(() => {
          res.setHeader('content-type', JSON_TYPE);
          res.end(JSON.stringify(LATE_BODY));
        });
      };
    case 'hang':
      return (_req, res) => {
        probe.ran('hang');
        res.once('close', () => probe.hang.closed.resolve());
        probe.hang.started.resolve();
      };
    case 'echoBody':
      return async (req, res) => {
        probe.ran('echoBody');
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        res.setHeader('content-type', JSON_TYPE);
        res.end(JSON.stringify(value));
      };
  }
}

export const nodeTarget: Target = {
  name: 'node',
  adapter: 'node',
  ownsFallbacks: true,
  async start({ chain, routes, options, probe }: TargetSetup): Promise<TargetApp> {
    const { wardListener } = await loadAdapter('@ward/node', () => import('@ward/node'));
    const onError = (error: unknown): void => {
      probe.unhandled.push(error);
    };
    const listeners = new Map<string, ReturnType<typeof wardListener>>();
    for (const route of routes) {
      listeners.set(`${route.method} ${route.path}`, wardListener(chain, handlerFor(route.kind, probe), { ...options, onError }));
    }
    const unmatched = wardListener(chain, undefined, { ...options, onError });
    return listen((req, res) => {
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      // The app's own routing, by the origin-form path (an absolute-form target included, as any node app must).
      const path = originForm(req.url ?? '/').split('?')[0];
      (listeners.get(`${method} ${path}`) ?? unmatched)(req, res);
    });
  },
};
