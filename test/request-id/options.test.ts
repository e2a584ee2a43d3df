/**
 * requestId() options: validated when the factory runs (TypeError for a
 * wrong type, RangeError for a bad value, both naming the option and
 * showing the value), never coerced; the chain description; the factory
 * registered without its call; the shared counter.
 */
import { compose, describeMiddleware } from '@ward/core';
import { Engine } from '@ward/engine';
import { MetricConflictError, wardGauge } from '@ward/metrics';
import { type RequestIdOptions, requestId } from '@ward/request-id';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

const registry = new Registry();
const make = (options: unknown) => () => requestId({ registry, ...(options as RequestIdOptions) });

describe('requestId() options', () => {
  it('describes itself with its defaults, functions by name', () => {
    const own = new Registry();
    expect(describeMiddleware(requestId({ registry: own }))).toEqual({
      name: 'requestId',
      options: {
        header: 'X-Request-ID',
        generator: '[function randomUuid]',
        setResponseHeader: true,
        trustIncoming: true,
        traceContext: true,
        echoTraceparent: false,
        asyncContext: true,
        randomFill: '[function randomFillSync]',
        registry: '[Registry]',
        prefix: 'ward_',
      },
    });
    function nextId(): string {
      return 'x';
    }
    expect(describeMiddleware(requestId({ registry: own, header: 'X-Correlation-ID', generator: nextId, echoTraceparent: true, prefix: 'acme_' })).options).toMatchObject({
      header: 'X-Correlation-ID',
      generator: '[function nextId]',
      echoTraceparent: true,
      prefix: 'acme_',
    });
  });

  it('refuses options that are not an object', () => {
    expect(() => requestId(null as unknown as RequestIdOptions)).toThrow(new TypeError("requestId(options): options must be an object such as { header: 'X-Request-ID' }, got null"));
    expect(() => requestId('X-Request-ID' as unknown as RequestIdOptions)).toThrow(TypeError);
    expect(() => requestId([] as unknown as RequestIdOptions)).toThrow('got an array');
  });

  it('refuses unknown options, suggesting the right name', () => {
    expect(make({ headerName: 'X-Id' })).toThrow(new TypeError('requestId(options): unknown option "headerName". Did you mean "header"?'));
    expect(make({ Generator: () => 'x' })).toThrow('Did you mean "generator"?');
    expect(make({ echo: true })).toThrow('Did you mean "echoTraceparent"?');
    expect(make({ zz: 1 })).toThrow(
      'unknown option "zz". Known: header, generator, setResponseHeader, trustIncoming, traceContext, echoTraceparent, asyncContext, randomFill, registry, prefix.',
    );
  });

  it('header: a string (TypeError), an RFC 9110 token (RangeError), not a name with a meaning of its own', () => {
    expect(make({ header: 42 })).toThrow(new TypeError("requestId({ header }) must be a string such as 'X-Request-ID', got 42"));
    expect(make({ header: null })).toThrow(TypeError);
    for (const bad of ['', 'X Request ID', 'X-Request-ID\r\nSet-Cookie: a=1', 'X-Request-ID:', 'Idé', '(id)']) {
      expect(make({ header: bad }), JSON.stringify(bad)).toThrow(RangeError);
    }
    expect(make({ header: 'X Id' })).toThrow(`requestId({ header }) must be an HTTP header name (RFC 9110 token: letters, digits and !#$%&'*+-.^_\`|~), got "X Id"`);
    for (const reserved of ['Content-Length', 'transfer-encoding', 'Set-Cookie', 'Authorization', 'traceparent', 'Host']) {
      expect(make({ header: reserved }), reserved).toThrow('HTTP (or Trace Context) gives that header its own meaning');
    }
    for (const inherited of ['__proto__', 'constructor', 'Constructor']) {
      expect(make({ header: inherited }), inherited).toThrow('a name every object inherits');
    }
    expect(describeMiddleware(requestId({ registry, header: "x-trace_id.v2!#$%&'*+^`|~" })).options.header).toBe("x-trace_id.v2!#$%&'*+^`|~");
  });

  it('generator and randomFill: functions', () => {
    expect(make({ generator: 'uuid' })).toThrow(new TypeError('requestId({ generator }) must be a function (ctx) => string, got "uuid"'));
    expect(make({ generator: null })).toThrow(TypeError);
    expect(make({ randomFill: {} })).toThrow(new TypeError('requestId({ randomFill }) must be a function filling a Uint8Array with random bytes, got an object'));
  });

  it('the switches are booleans, never truthy values', () => {
    for (const name of ['setResponseHeader', 'trustIncoming', 'traceContext', 'echoTraceparent', 'asyncContext']) {
      expect(make({ [name]: 'yes' }), name).toThrow(new TypeError(`requestId({ ${name} }) must be true or false, got "yes"`));
      expect(make({ [name]: 1 }), name).toThrow(TypeError);
      expect(make({ [name]: null }), name).toThrow(TypeError);
    }
  });

  it('echoTraceparent needs traceContext', () => {
    expect(make({ echoTraceparent: true, traceContext: false })).toThrow(
      new RangeError('requestId({ echoTraceparent: true }) needs traceContext: true (there is no trace to echo without it)'),
    );
    expect(make({ echoTraceparent: false, traceContext: false })).not.toThrow();
  });

  it('registry and prefix follow the metrics convention', () => {
    expect(() => requestId({ registry: {} as Registry })).toThrow(TypeError);
    expect(() => requestId({ registry, prefix: '1bad' })).toThrow(RangeError);
    expect(() => requestId({ registry, prefix: 7 as unknown as string })).toThrow(TypeError);
  });

  it('registered without its call, it fails at start naming the fix', () => {
    expect(() => compose([requestId as never])).toThrow(new TypeError('middleware[0] is the factory "requestId", not a middleware. Call it: requestId({ … })'));
    expect(() => new Engine().use(requestId as never)).toThrow('Call it: requestId({ … })');
  });

  it('instances share one counter per registry; a name taken by another kind fails loudly', async () => {
    const shared = new Registry();
    requestId({ registry: shared });
    requestId({ registry: shared });
    const metric = await shared.getSingleMetric('ward_request_id_replaced_total')!.get();
    expect(metric.type).toBe('counter');
    expect(metric.values.map((v) => [v.labels.reason, v.value])).toEqual([
      ['invalid_id', 0],
      ['invalid_traceparent', 0],
    ]);
    const taken = new Registry();
    wardGauge(taken, { name: 'request_id_replaced_total', help: 'Something else.' });
    expect(() => requestId({ registry: taken })).toThrow(MetricConflictError);
  });
});
