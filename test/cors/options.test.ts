/**
 * cors() configuration: every option validated when the factory runs, with a
 * TypeError or RangeError naming the option; origins normalised; unsafe
 * combinations refused; the middleware named and described (rule 10).
 */
import { compose, describeMiddleware } from '@ward/core';
import { DEFAULT_MAX_AGE_SEC, DEFAULT_METHODS, MAX_MAX_AGE_SEC, type CorsOptions, cors, normalizeOrigin } from '@ward/cors';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

const registry = new Registry();
const make = (options: Partial<CorsOptions>) => () => cors({ origin: ['https://app.example.com'], registry, ...options } as CorsOptions);

describe('cors options', () => {
  it('requires an options object with an origin, and no implicit *', () => {
    expect(() => cors(undefined as unknown as CorsOptions)).toThrow(
      new TypeError("cors(options): options must be an object such as { origin: ['https://app.example.com'] }, got undefined"),
    );
    expect(() => cors([] as unknown as CorsOptions)).toThrow(TypeError);
    expect(() => cors({} as CorsOptions)).toThrow(
      new TypeError(
        "cors({ origin }) is required: a list of origins such as ['https://app.example.com'], a RegExp, a function (origin, ctx) => boolean, or '*' for a public resource",
      ),
    );
    expect(() => cors({ origin: 42 } as unknown as CorsOptions)).toThrow(
      new TypeError("cors({ origin }) must be a list of origins, a RegExp, a function or '*', got 42"),
    );
    expect(() => cors({ origin: [] })).toThrow(new RangeError("cors({ origin }) must list at least one origin, e.g. ['https://app.example.com']"));
    expect(() => cors({ origin: ['https://a.example', 7] as unknown as string[] })).toThrow(new TypeError('cors({ origin }) must hold strings, got 7'));
  });

  it('refuses unknown options and suggests the ward name for the names other CORS packages use', () => {
    expect(make({ maxAge: 60 } as Partial<CorsOptions>)).toThrow(new TypeError('cors({ maxAge }) is not an option; did you mean maxAgeSec (seconds)?'));
    expect(make({ allowHeaders: ['x'] } as Partial<CorsOptions>)).toThrow(new TypeError('cors({ allowHeaders }) is not an option; did you mean allowedHeaders?'));
    expect(make({ optionsSuccessStatus: 200 } as Partial<CorsOptions>)).toThrow(
      'cors({ optionsSuccessStatus }) is not an option; did you mean nothing: preflights are answered 204',
    );
    expect(make({ colour: 'red' } as Partial<CorsOptions>)).toThrow(new TypeError('cors({ colour }) is not an option'));
  });

  it("allows '*' only as the sole entry and never with credentials", () => {
    expect(make({ origin: ['*', 'https://a.example'] })).toThrow(new RangeError("cors({ origin }): '*' allows every origin, so it must be the only entry"));
    expect(make({ origin: '*', credentials: true })).toThrow(RangeError);
    expect(make({ origin: ['*'], credentials: true })).toThrow(/browsers refuse '\*' on credentialed requests/);
    expect(make({ origin: '*' })).not.toThrow();
  });

  it("refuses 'null' in the list, and allowNullOrigin with credentials", () => {
    expect(make({ origin: ['null'] })).toThrow(
      new RangeError("cors({ origin }): 'null' is not listed as an origin; set allowNullOrigin: true if you really mean it"),
    );
    expect(make({ allowNullOrigin: true, credentials: true })).toThrow(
      new RangeError(
        'cors({ allowNullOrigin: true, credentials: true }): any site can send Origin: null (a sandboxed iframe), so this would let any site read credentialed responses; drop one of the two',
      ),
    );
    expect(make({ allowNullOrigin: true })).not.toThrow();
  });

  it('validates every listed origin as scheme://host[:port], naming the mistake', () => {
    expect(make({ origin: ['https://app.example.com/'] })).toThrow(
      new RangeError(
        `cors({ origin }): "https://app.example.com/" is not an origin: remove the trailing slash (browsers send 'scheme://host[:port]' without one)`,
      ),
    );
    expect(make({ origin: ['https://app.example.com/api'] })).toThrow(/has no path, query or fragment/);
    expect(make({ origin: ['https://app.example.com?x=1'] })).toThrow(/has no path, query or fragment/);
    expect(make({ origin: ['https://user:pw@app.example.com'] })).toThrow(/remove the user info/);
    expect(make({ origin: ['app.example.com'] })).toThrow(/expected scheme:\/\/host\[:port\]/);
    expect(make({ origin: [' https://app.example.com'] })).toThrow(/whitespace or control characters/);
    expect(make({ origin: ['https://app.example.com\r\nx: y'] })).toThrow(/whitespace or control characters/);
    expect(make({ origin: ['https://app.example.com:99999'] })).toThrow(/its host or port does not parse/);
    expect(make({ origin: ['https://'] })).toThrow(RangeError);
    expect(make({ origin: ['file:///etc/passwd'] })).toThrow(RangeError);
  });

  it('normalises origins the way browsers serialise them', () => {
    expect(normalizeOrigin('HTTPS://App.Example.COM')).toBe('https://app.example.com');
    expect(normalizeOrigin('https://app.example.com:443')).toBe('https://app.example.com');
    expect(normalizeOrigin('http://app.example.com:80')).toBe('http://app.example.com');
    expect(normalizeOrigin('http://app.example.com:8080')).toBe('http://app.example.com:8080');
    expect(normalizeOrigin('https://Bücher.example')).toBe('https://xn--bcher-kva.example');
    expect(normalizeOrigin('http://[::1]:3000')).toBe('http://[::1]:3000');
    expect(normalizeOrigin('http://127.0.0.1:5173')).toBe('http://127.0.0.1:5173');
    expect(normalizeOrigin('chrome-extension://ABCDEFGH')).toBe('chrome-extension://abcdefgh');
    expect(() => normalizeOrigin(3 as unknown as string)).toThrow(new TypeError("an origin must be a string such as 'https://app.example.com', got number"));
    // The description lists the normalised forms: what is compared.
    const described = describeMiddleware(cors({ origin: ['HTTPS://App.Example.COM:443', 'https://app.example.com'], registry }));
    expect(described.options['origin']).toEqual(['https://app.example.com']);
  });

  it('accepts only anchored RegExps without g/y and without a top-level |', () => {
    expect(make({ origin: /example\.com$/ })).toThrow(/must be anchored with \^ and \$/);
    expect(make({ origin: /^https:\/\/app\.example\.com/ })).toThrow(/must be anchored with \^ and \$/);
    expect(make({ origin: /^https:\/\/app\.example\.com\$/ })).toThrow(/must be anchored/);
    expect(make({ origin: /^https:\/\/a\.example\.com$/g })).toThrow(/has the g flag, so test\(\) keeps lastIndex between requests/);
    expect(make({ origin: /^https:\/\/a\.example\.com$/y })).toThrow(/has the y flag/);
    expect(make({ origin: /^https:\/\/a\.example\.com|b\.example\.com$/ })).toThrow(
      new RangeError(
        "cors({ origin }): /^https:\\/\\/a\\.example\\.com|b\\.example\\.com$/ has a top-level '|', so ^ and $ each anchor one branch only; group the alternatives: /^(?:a|b)$/",
      ),
    );
    expect(make({ origin: /^https:\/\/(?:a|b)\.example\.com$/ })).not.toThrow();
    expect(make({ origin: /^https:\/\/[|a-z]+\.example\.com$/ })).not.toThrow();
    expect(make({ origin: /^https:\/\/a\.example\.com\\$/ })).not.toThrow();
  });

  it('validates methods, headers and exposed headers as tokens', () => {
    expect(make({ methods: 'GET' as unknown as string[] })).toThrow(
      new TypeError(`cors({ methods }) must be an array of names such as ['GET', 'POST'], got "GET"`),
    );
    expect(make({ methods: [] })).toThrow(new RangeError("cors({ methods }) must list at least one method, e.g. ['GET', 'POST']"));
    expect(make({ methods: ['GET POST'] })).toThrow(/"GET POST" is not a valid name/);
    expect(make({ methods: ['*'] })).toThrow(/list the methods instead of '\*'/);
    expect(make({ allowedHeaders: ['x-ok', 'bad header'] })).toThrow(/cors\(\{ allowedHeaders \}\): "bad header" is not a valid name/);
    expect(make({ allowedHeaders: ['*'] })).toThrow(/use 'reflect' instead of '\*'/);
    expect(make({ allowedHeaders: 'all' as unknown as 'reflect' })).toThrow(TypeError);
    expect(make({ exposedHeaders: ['x-a\r\n'] })).toThrow(RangeError);
    expect(make({ exposedHeaders: ['*'], credentials: true })).toThrow(/'\*' must be the only entry and cannot be used with credentials/);
    expect(make({ exposedHeaders: ['*', 'x-a'] })).toThrow(/'\*' must be the only entry/);
    expect(make({ exposedHeaders: ['*'] })).not.toThrow();
  });

  it('checks maxAgeSec, flags and hooks', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, MAX_MAX_AGE_SEC + 1]) {
      expect(make({ maxAgeSec: bad }), String(bad)).toThrow(RangeError);
    }
    expect(make({ maxAgeSec: 7201 * 12 })).toThrow(
      new RangeError('cors({ maxAgeSec }) must be an integer from 0 to 86400 seconds (browsers cap it: Chromium at 7200), got 86412'),
    );
    expect(make({ maxAgeSec: '600' as unknown as number })).toThrow(new TypeError('cors({ maxAgeSec }) must be a number of seconds, got "600"'));
    expect(make({ maxAgeSec: 0 })).not.toThrow();
    expect(make({ credentials: 'true' as unknown as boolean })).toThrow(new TypeError('cors({ credentials }) must be a boolean, got "true"'));
    expect(make({ preflightContinue: 1 as unknown as boolean })).toThrow(new TypeError('cors({ preflightContinue }) must be a boolean, got 1'));
    expect(make({ onError: 'log' as unknown as () => void })).toThrow(new TypeError('cors({ onError }) must be a function (error, ctx) => void, got "log"'));
    expect(make({ onReject: {} as unknown as () => void })).toThrow(TypeError);
    expect(make({ registry: {} as Registry })).toThrow(/cors\(options\)\.registry must be a prom-client Registry/);
    expect(make({ prefix: 'bad-prefix' })).toThrow(RangeError);
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_METHODS).toEqual(['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']);
    expect(DEFAULT_MAX_AGE_SEC).toBe(600);
    const { name, options } = describeMiddleware(cors({ origin: ['https://app.example.com'], registry }));
    expect(name).toBe('cors');
    expect(options).toEqual({
      origin: ['https://app.example.com'],
      credentials: false,
      methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'],
      allowedHeaders: 'reflect',
      exposedHeaders: [],
      maxAgeSec: 600,
      allowNullOrigin: false,
      allowPrivateNetwork: false,
      preflightContinue: false,
      registry: '[Registry]',
      prefix: 'ward_',
    });
  });

  it('describes a configured middleware in JSON-safe form (rule 10)', () => {
    const fn = cors({
      origin: async function tenantOrigins() {
        return true;
      },
      methods: ['get', 'post', 'patch', 'PURGE'],
      allowedHeaders: ['Content-Type', 'content-type', 'X-Api-Key'],
      exposedHeaders: ['x-request-id'],
      maxAgeSec: 0,
      onError: function report() {},
      registry,
      prefix: 'acme_',
    });
    expect(fn.name).toBe('cors');
    const { options } = describeMiddleware(fn);
    expect(options['origin']).toBe('[function tenantOrigins]');
    // The six methods Fetch normalises are upper-cased; others are kept as written (compared case-sensitively).
    expect(options['methods']).toEqual(['GET', 'POST', 'patch', 'PURGE']);
    expect(options['allowedHeaders']).toEqual(['content-type', 'x-api-key']);
    expect(options['onError']).toBe('[function report]');
    expect(options['maxAgeSec']).toBe(0);
    expect(options['prefix']).toBe('acme_');
    expect(describeMiddleware(cors({ origin: /^https:\/\/a\.example\.com$/, registry })).options['origin']).toBe('/^https:\\/\\/a\\.example\\.com$/');
    expect(describeMiddleware(cors({ origin: '*', registry })).options['origin']).toBe('*');
    expect(JSON.parse(JSON.stringify(options))).toEqual(options);
  });

  it('refuses use(cors) without the call, naming the fix', () => {
    expect(() => compose([cors as never])).toThrow(/is the factory "cors", not a middleware\. Call it: cors\(\{ … \}\)/);
  });
});
