/**
 * compose(): koa-compose's onion, with a second next() refused always and
 * composition-time checks of what is passed as middleware.
 */
import { describe, expect, it } from 'vitest';
import { compose, type Context, markFactory, type Middleware, NextCalledTwiceError } from '@ward/core';

const ctx = {} as Context;

function recorder(name: string, log: string[]): Middleware {
  return async function record(_ctx, next) {
    log.push(`${name} before`);
    await next();
    log.push(`${name} after`);
  };
}

describe('compose: order', () => {
  it('runs the onion: m1 before → m2 before → last → m2 after → m1 after', async () => {
    const log: string[] = [];
    const chain = compose([recorder('m1', log), recorder('m2', log)]);
    await chain(ctx, async () => {
      log.push('handler');
    });
    expect(log).toEqual(['m1 before', 'm2 before', 'handler', 'm2 after', 'm1 after']);
  });

  it('waits for async work downstream before running code after next()', async () => {
    const log: string[] = [];
    const chain = compose([
      recorder('m1', log),
      async (_c, next) => {
        await Promise.resolve();
        log.push('slow before');
        await next();
        await new Promise<void>((resolve) => setImmediate(resolve));
        log.push('slow after');
      },
    ]);
    await chain(ctx);
    expect(log).toEqual(['m1 before', 'slow before', 'slow after', 'm1 after']);
  });

  it('ends the chain when a middleware does not call next()', async () => {
    const log: string[] = [];
    let lastRan = 0;
    const chain = compose([recorder('m1', log), () => void log.push('stop'), recorder('never', log)]);
    await chain(ctx, async () => {
      lastRan++;
    });
    expect(log).toEqual(['m1 before', 'stop', 'm1 after']);
    expect(lastRan).toBe(0);
  });

  it('passes the same ctx to every middleware', async () => {
    const seen: unknown[] = [];
    const chain = compose([(c, next) => (seen.push(c), next()), (c) => void seen.push(c)]);
    await chain(ctx);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(ctx);
    expect(seen[1]).toBe(ctx);
  });

  it('keeps a copy of the list: changing the array afterwards changes nothing', async () => {
    const log: string[] = [];
    const list = [recorder('m1', log)];
    const chain = compose(list);
    list.push(recorder('late', log));
    await chain(ctx);
    expect(log).toEqual(['m1 before', 'm1 after']);
  });

  it('runs concurrent requests through one composed chain independently', async () => {
    const chain = compose<Context>([async (_c, next) => next(), async (_c, next) => next()]);
    let calls = 0;
    await Promise.all([0, 1, 2].map(() => chain(ctx, async () => void calls++)));
    expect(calls).toBe(3);
  });
});

describe('compose: empty chain', () => {
  it('calls the final next once', async () => {
    let calls = 0;
    await compose([])(ctx, async () => void calls++);
    expect(calls).toBe(1);
  });

  it('resolves with no final next', async () => {
    await expect(compose([])(ctx)).resolves.toBeUndefined();
  });
});

describe('compose: next() twice', () => {
  it('rejects the second call with NextCalledTwiceError (NEXT_CALLED_TWICE), naming the middleware; downstream runs once', async () => {
    let downstream = 0;
    let second: unknown;
    const chain = compose([
      async function greedy(_c, next) {
        await next();
        try {
          await next();
        } catch (error) {
          second = error;
        }
      },
    ]);
    await chain(ctx, async () => void downstream++);
    expect(downstream).toBe(1);
    expect(second).toBeInstanceOf(NextCalledTwiceError);
    expect(second).toMatchObject({ code: 'NEXT_CALLED_TWICE', name: 'NextCalledTwiceError' });
    expect((second as Error).message).toBe('next() called more than once by middleware "greedy"');
  });

  it('rejects two calls made in the same turn, too', async () => {
    let downstream = 0;
    const results: PromiseSettledResult<void>[] = [];
    const chain = compose([
      async (_c, next) => {
        results.push(...(await Promise.allSettled([next(), next()])));
      },
    ]);
    await chain(ctx, async () => void downstream++);
    expect(downstream).toBe(1);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'NEXT_CALLED_TWICE' });
  });

  it('refuses in production too', async () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const chain = compose([
        async (_c, next) => {
          await next();
          await next();
        },
      ]);
      await expect(chain(ctx)).rejects.toMatchObject({ code: 'NEXT_CALLED_TWICE' });
    } finally {
      process.env.NODE_ENV = previous;
    }
  });
});

describe('compose: errors', () => {
  it('turns a synchronous throw into a rejection (the call itself does not throw)', async () => {
    const error = new Error('sync');
    const chain = compose([
      () => {
        throw error;
      },
    ]);
    let promise: Promise<void> | undefined;
    expect(() => {
      promise = chain(ctx);
    }).not.toThrow();
    await expect(promise).rejects.toBe(error);
  });

  it('rejects next() in every enclosing middleware with the exact error', async () => {
    const error = new Error('deep');
    const caught: unknown[] = [];
    const rethrow: Middleware = async (_c, next) => {
      try {
        await next();
      } catch (e) {
        caught.push(e);
        throw e;
      }
    };
    const chain = compose([rethrow, rethrow]);
    await expect(
      chain(ctx, () => {
        throw error;
      }),
    ).rejects.toBe(error);
    expect(caught).toEqual([error, error]);
    expect(caught[0]).toBe(error);
  });

  it('lets a middleware recover from a downstream rejection', async () => {
    const chain = compose([
      async (_c, next) => {
        await next().catch(() => undefined);
      },
    ]);
    await expect(chain(ctx, () => Promise.reject(new Error('x')))).resolves.toBeUndefined();
  });
});

describe('compose: what counts as middleware', () => {
  it('refuses a factory passed without its call, with a TypeError naming the fix', () => {
    const rateLimit = markFactory(function rateLimit(_options: { max: number }): Middleware {
      return (_c, next) => next();
    });
    expect(() => compose([rateLimit as unknown as Middleware])).toThrow(TypeError);
    expect(() => compose([rateLimit as unknown as Middleware])).toThrow(
      'middleware[0] is the factory "rateLimit", not a middleware. Call it: rateLimit({ … })',
    );
    // Called, it is fine.
    expect(() => compose([rateLimit({ max: 1 })])).not.toThrow();
  });

  it.each([
    [42, 'number'],
    ['rateLimit', 'string'],
    [null, 'null'],
    [undefined, 'undefined'],
    [{ handle() {} }, 'object'],
  ])('refuses %j with a TypeError that shows what it got', (value, got) => {
    expect(() => compose([(_c: Context, next: () => Promise<void>) => next(), value as unknown as Middleware])).toThrow(
      new TypeError(`middleware[1] must be a middleware function (ctx, next), got ${got}`),
    );
  });

  it('refuses something that is not an array', () => {
    expect(() => compose((() => undefined) as unknown as Middleware[])).toThrow(
      new TypeError('compose(middleware) expects an array of middleware, got function'),
    );
  });
});
