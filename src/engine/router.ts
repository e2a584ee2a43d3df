/**
 * The engine's router: per HTTP method, fully static routes in a `Map`
 * (one hash lookup) and a segment radix tree (tree.ts) for routes with
 * `:params` and `*wildcards`. Priority at every segment is static > param >
 * wildcard, with backtracking, so `/users/new` beats `/users/:id` and
 * `/files/:name` falls back to `/files/*path` for `/files/a/b`.
 *
 * Duplicates and conflicts (two templates of one shape, e.g. `/users/:id` and
 * `/users/:name`) are refused when a route is added, never discovered on a
 * request. A lookup allocates nothing but its result and the params object:
 * no regexes, no splitting, no closures.
 */
import { paramsBuilder } from './params.js';
import { parseTemplate } from './path.js';
import { check, duplicate, insert, type Leaf, Node, walk } from './tree.js';

/** What {@link Router.find} returns for a path that matches. */
export interface RouteMatch<T> {
  /** The value given to {@link Router.add}. */
  readonly value: T;
  /** Parameter values by name, percent-decoded. A wildcard's value may be empty. */
  readonly params: Readonly<Record<string, string>>;
  /** The template the route was added with (`/users/:id`). */
  readonly template: string;
}

/** The routes of one method. */
interface Table<T> {
  /** Fully static templates, with their (frozen, shared) match. */
  readonly statics: Map<string, RouteMatch<T>>;
  readonly root: Node<T>;
}

const SLASH = 47;
const EMPTY_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** The order of methods in an `Allow` header; others follow alphabetically. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * A radix-tree router, usable on its own.
 *
 * @example
 * const router = new Router<string>();
 * router.add('GET', '/users/:id', 'user');
 * router.find('GET', '/users/42'); // { value: 'user', params: { id: '42' }, template: '/users/:id' }
 */
export class Router<T> {
  readonly #tables = new Map<string, Table<T>>();
  /** Methods with at least one route, in `Allow` order. */
  #methods: string[] = [];
  readonly #routes: { method: string; template: string }[] = [];
  /** Start/end offsets of the params of the lookup in progress (lookups are synchronous). */
  #scratch = new Int32Array(8);

  /**
   * Adds a route. Throws a RangeError, before changing anything, for a bad
   * template, a duplicate (`GET /users/:id` twice) or a conflict (the same
   * shape with other names, e.g. `/users/:id` and `/users/:name`, which would
   * match exactly the same paths). Parameters of routes that only share a
   * prefix may have different names (`/orgs/:id`, `/orgs/:orgId/members`).
   */
  add(method: string, template: string, value: T): void {
    if (typeof method !== 'string' || !METHOD_TOKEN.test(method)) {
      throw new TypeError(`Router.add(method): method must be an HTTP method token such as "GET", got ${JSON.stringify(method)}`);
    }
    if (method !== method.toUpperCase()) {
      throw new RangeError(`Router.add(method): methods are case-sensitive and upper-case; use ${JSON.stringify(method.toUpperCase())}`);
    }
    const segments = parseTemplate(template);
    const names: string[] = [];
    for (const segment of segments) if (segment.kind !== 'static') names.push(segment.name);
    const table = this.#table(method);
    const leaf: Leaf<T> = { value, template, names, params: paramsBuilder(names) };

    if (names.length === 0) {
      if (table.statics.has(template)) throw duplicate(method, template);
      table.statics.set(template, Object.freeze({ value, params: EMPTY_PARAMS, template }));
    } else {
      // Check the whole path first, so a refused route leaves the tree untouched.
      check(table.root, segments, names, method, template);
      insert(table.root, segments, leaf);
      if (this.#scratch.length < names.length * 2) this.#scratch = new Int32Array(names.length * 2);
    }
    if (!this.#methods.includes(method)) this.#methods = sortMethods([...this.#methods, method]);
    this.#routes.push({ method, template });
  }

  /**
   * Finds the route for a method and path. The path is the raw request path
   * (a query string, if present, is ignored); matching is case-sensitive and
   * on the undecoded path, and params are percent-decoded afterwards.
   * Throws an `HttpError` 400 (`BAD_REQUEST`) when a matched parameter holds
   * a malformed percent-escape.
   */
  find(method: string, path: string): RouteMatch<T> | undefined {
    const table = this.#tables.get(method);
    if (table === undefined) return undefined;
    const q = path.indexOf('?');
    if (q !== -1) path = path.slice(0, q);
    const hit = table.statics.get(path);
    if (hit !== undefined) return hit;
    if (path.charCodeAt(0) !== SLASH) return undefined;
    const scratch = this.#scratch;
    const leaf = walk(table.root, path, 1, 0, scratch);
    if (leaf === undefined) return undefined;
    return { value: leaf.value, params: leaf.params(path, scratch), template: leaf.template };
  }

  /** True when some route of `method` matches `path` (nothing is decoded, nothing throws). */
  has(method: string, path: string): boolean {
    const table = this.#tables.get(method);
    if (table === undefined) return false;
    const q = path.indexOf('?');
    if (q !== -1) path = path.slice(0, q);
    if (table.statics.has(path)) return true;
    return path.charCodeAt(0) === SLASH && walk(table.root, path, 1, 0, this.#scratch) !== undefined;
  }

  /**
   * The methods that have a route matching `path`, in `Allow` header order
   * (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, then others A→Z). Empty
   * when no method matches (a 404 rather than a 405).
   */
  allowedMethods(path: string): string[] {
    const allowed: string[] = [];
    for (const method of this.#methods) if (this.has(method, path)) allowed.push(method);
    return allowed;
  }

  /** Every route added, in order. */
  routes(): { method: string; template: string }[] {
    return this.#routes.map((route) => ({ ...route }));
  }

  #table(method: string): Table<T> {
    let table = this.#tables.get(method);
    if (table === undefined) {
      table = { statics: new Map(), root: new Node<T>('') };
      this.#tables.set(method, table);
    }
    return table;
  }
}

function sortMethods(methods: string[]): string[] {
  const rank = (m: string): number => {
    const i = METHOD_ORDER.indexOf(m);
    return i === -1 ? METHOD_ORDER.length : i;
  };
  return methods.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}
