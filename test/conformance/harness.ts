/**
 * The conformance harness: what a target is, what a scenario is, and how one
 * scenario runs on one target over real sockets with exact expectations.
 * Scenarios live in scenarios.ts; targets in targets/.
 */
import { expect } from 'vitest';
import type { AdapterName, AdapterOptions, Middleware } from '@ward/core';
import { type TestRequestOptions, type TestResponse, request } from '@ward/core/testing';
import { HANDLER_KINDS, type HandlerKind, Probe, type Route, STANDARD_ROUTES } from './probe.js';

/** What a target is given to build one server for one scenario. */
export interface TargetSetup {
  /** The scenario's ward chain, framework-agnostic. */
  chain: Middleware[];
  /** Routes to register, each with the target's native handler of that kind. */
  routes: readonly Route[];
  /** Adapter options (trustProxy, body, problemFormatter…), passed as they are. */
  options: AdapterOptions;
  /** Handlers record into it; the engine and node adapters report `onError` into `probe.unhandled`. */
  probe: Probe;
}

/** A running server built by a target. */
export interface TargetApp {
  readonly url: string;
  close(): Promise<void>;
}

/** One framework the suite runs every scenario on. */
export interface Target {
  /** The describe() title. */
  readonly name: string;
  /** What `ctx.adapter` says in a chain on this target. */
  readonly adapter: AdapterName;
  /**
   * True where the ward adapter itself answers what nobody handled — errors
   * and unmatched paths get problem+json (engine, node). False where the
   * framework's own error and 404 handling answers (Express, Fastify).
   */
  readonly ownsFallbacks: boolean;
  start(setup: TargetSetup): Promise<TargetApp>;
}

/** What one response must be, exactly. Members left out are not checked. */
export interface Expectation {
  status: number;
  /** Exact header values; `null` means the header must be absent. */
  headers?: Readonly<Record<string, string | null>>;
  /** The body parsed as JSON equals this (and the content type is JSON). */
  json?: unknown;
  /** The body is exactly this text. */
  text?: string;
  /**
   * An RFC 9457 answer: `content-type: application/problem+json`,
   * `cache-control: no-store`, and a body equal to this object (use
   * `expect.any(String)` for members that legitimately vary).
   */
  problem?: Readonly<Record<string, unknown>>;
  /**
   * The answer to an error no ward middleware handled: where the target owns
   * fallbacks, exactly the 500 INTERNAL_ERROR problem; elsewhere the
   * framework's own answer, whose body is not checked.
   */
  unhandled?: true;
  /** An unmatched path: a NOT_FOUND problem where the target owns fallbacks, the framework's 404 elsewhere. */
  notFound?: true;
}

/** One request and what must come back. */
export interface Exchange {
  path: string;
  request?: TestRequestOptions;
  expect: Expectation;
}

/** What procedural parts of a scenario get. */
export interface ScenarioRun {
  readonly url: string;
  readonly probe: Probe;
  readonly target: Target;
  /** Sends one request to `url + path`. */
  send(path: string, options?: TestRequestOptions): Promise<TestResponse>;
}

/** One HTTP-level behaviour every adapter must show. */
export interface Scenario {
  /** The it() title; say the behaviour, not the mechanism. */
  name: string;
  /** `'security'` puts the scenario under `describe('security: hostile inputs')`. */
  group?: 'security';
  /** Adapter options for this scenario. Default: none. */
  options?: AdapterOptions;
  /** Routes to register. Default: {@link STANDARD_ROUTES}. */
  routes?: readonly Route[];
  /** The ward chain, built fresh per run so middleware can record into the probe. */
  chain(probe: Probe): Middleware[];
  /** Requests sent in order, each checked exactly. */
  exchanges?: readonly Exchange[];
  /** Procedural part, run after the exchanges (keep-alive, aborts, releases). */
  run?(run: ScenarioRun): Promise<void>;
  /** How many times each handler ran at the end; kinds left out must have run 0 times. */
  counts?: Partial<Record<HandlerKind, number>>;
  /** The exact probe log at the end. */
  log?: readonly string[];
  /** Last checks, given the exchanges' responses in order. */
  verify?(run: ScenarioRun, responses: readonly TestResponse[]): void | Promise<void>;
}

/** The exact bytes of the 500 problem every adapter sends for an error handed to `ctx.problem()`. */
export const INTERNAL_ERROR_PROBLEM =
  '{"type":"urn:ward:problem:internal-error","title":"Internal Server Error","status":500,"code":"INTERNAL_ERROR"}';

/** Runs one scenario on one target: start, exchange, check, prove the server still answers, close. */
export async function runScenario(target: Target, scenario: Scenario): Promise<void> {
  const probe = new Probe();
  const app = await target.start({
    chain: scenario.chain(probe),
    routes: scenario.routes ?? STANDARD_ROUTES,
    options: scenario.options ?? {},
    probe,
  });
  try {
    const run: ScenarioRun = {
      url: app.url,
      probe,
      target,
      send: (path, options) => request(app.url + path, options),
    };
    const responses: TestResponse[] = [];
    for (const [i, exchange] of (scenario.exchanges ?? []).entries()) {
      const res = await run.send(exchange.path, exchange.request);
      responses.push(res);
      checkResponse(res, exchange.expect, target, `exchange ${i} (${exchange.request?.method ?? 'GET'} ${exchange.path})`);
    }
    if (scenario.run) await scenario.run(run);
    if (scenario.counts) {
      const expected = Object.fromEntries(HANDLER_KINDS.map((k) => [k, scenario.counts?.[k] ?? 0]));
      expect(probe.counts, 'handler run counts').toEqual(expected);
    }
    if (scenario.log) expect(probe.log, 'probe log').toEqual(scenario.log);
    if (scenario.verify) await scenario.verify(run, responses);
    // Every scenario ends with a server that still answers.
    const alive = await run.send('/json');
    expect(alive.status, 'the server still answers after the scenario').toBeGreaterThanOrEqual(200);
  } finally {
    await app.close();
  }
}

/** Checks one response against an expectation; `where` names it in failure messages. */
export function checkResponse(res: TestResponse, expected: Expectation, target: Target, where = 'response'): void {
  expect(res.status, `${where}: status (body ${JSON.stringify(res.text.slice(0, 300))})`).toBe(expected.status);
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    expect(res.headers[name.toLowerCase()], `${where}: header ${name}`).toBe(value === null ? undefined : value);
  }
  if (expected.text !== undefined) expect(res.text, `${where}: body`).toBe(expected.text);
  if (expected.json !== undefined) {
    expect(res.headers['content-type'], `${where}: content-type`).toMatch(/^application\/json/);
    expect(res.json(), `${where}: JSON body`).toEqual(expected.json);
  }
  if (expected.problem !== undefined) checkProblem(res, expected.problem, where);
  if (expected.unhandled && target.ownsFallbacks) {
    checkProblem(res, JSON.parse(INTERNAL_ERROR_PROBLEM) as Record<string, unknown>, where);
    expect(res.text, `${where}: problem bytes`).toBe(INTERNAL_ERROR_PROBLEM);
  }
  if (expected.notFound && target.ownsFallbacks) {
    checkProblem(
      res,
      { type: 'urn:ward:problem:not-found', title: 'Not Found', status: 404, code: 'NOT_FOUND', detail: expect.any(String) },
      where,
    );
  }
}

function checkProblem(res: TestResponse, problem: Readonly<Record<string, unknown>>, where: string): void {
  expect(res.headers['content-type'], `${where}: problem content-type`).toBe('application/problem+json');
  expect(res.headers['cache-control'], `${where}: problem cache-control`).toBe('no-store');
  expect(res.headers['content-length'], `${where}: problem content-length`).toBe(String(res.body.byteLength));
  expect(res.json(), `${where}: problem body`).toEqual(problem);
}
