/**
 * The segment radix tree behind the router: one tree per method, holding
 * the routes with `:params` and `*wildcards` (fully static routes live in a
 * Map beside it). Static children are labelled with whole segments,
 * compressed while nothing branches, and indexed by first character once a
 * node has many; the lookup walks it depth-first with static > param >
 * wildcard priority and backtracking, recording param offsets in a scratch
 * buffer instead of allocating.
 */
import type { ParamsBuilder } from './params.js';
import type { Segment } from './path.js';

/** A route as stored at the end of its path in the tree. */
export interface Leaf<T> {
  readonly value: T;
  readonly template: string;
  /** Parameter and wildcard names, in path order. */
  readonly names: readonly string[];
  /** Builds the params object from the offsets of the match. */
  readonly params: ParamsBuilder;
}

/**
 * A tree node. Its static children are labelled with one or more whole
 * segments (`api/v1/users`), compressed while there is nothing to branch
 * on; siblings never share their first segment.
 */
export class Node<T> {
  label: string;
  /** First char code of the label; `/` for a label that starts with an empty segment. */
  first: number;
  readonly children: Node<T>[] = [];
  /** Children by first char code (ASCII), once there are enough children for a scan to cost. */
  index: (Node<T>[] | undefined)[] | undefined = undefined;
  /** The child for a parameter here, whatever its name in each route (names live in the leaves). */
  param: Node<T> | undefined = undefined;
  wildcard: WildcardEdge<T> | undefined = undefined;
  leaf: Leaf<T> | undefined = undefined;

  constructor(label: string) {
    this.label = label;
    this.first = firstCode(label);
  }

  relabel(label: string): void {
    this.label = label;
    this.first = firstCode(label);
  }

  /** Rebuilds {@link index} after the children changed. */
  reindex(): void {
    if (this.children.length <= INDEX_THRESHOLD) {
      this.index = undefined;
      return;
    }
    const index: (Node<T>[] | undefined)[] = new Array<Node<T>[] | undefined>(128).fill(undefined);
    for (const child of this.children) (index[child.first] ??= []).push(child);
    this.index = index;
  }
}

/** The wildcard of a node: always the end of a route. */
interface WildcardEdge<T> {
  readonly leaf: Leaf<T>;
}

const SLASH = 47;
/** Above this many static children, a node indexes them by first character. */
const INDEX_THRESHOLD = 4;

/**
 * The lookup: depth-first, static children before the param before the
 * wildcard, backtracking on failure. `i` is the offset of the next segment
 * (just after a `/`); `depth` counts params matched so far.
 */
export function walk<T>(node: Node<T>, path: string, i: number, depth: number, scratch: Int32Array): Leaf<T> | undefined {
  const len = path.length;
  // The end of the path reads as "/": both end a segment.
  const code = i < len ? path.charCodeAt(i) : SLASH;
  const index = node.index;
  const children = index === undefined ? node.children : code < 128 ? index[code] : undefined;
  if (children !== undefined) {
    for (let c = 0; c < children.length; c++) {
      const child = children[c]!;
      if (child.first !== code) continue;
      const label = child.label;
      const end = i + label.length;
      if (end > len || !path.startsWith(label, i)) continue;
      if (end === len) {
        if (child.leaf !== undefined) return child.leaf;
      } else if (path.charCodeAt(end) === SLASH) {
        const found = walk(child, path, end + 1, depth, scratch);
        if (found !== undefined) return found;
      } else {
        // `user` against `users`: a longer sibling may still match.
        continue;
      }
      // Siblings differ in their first segment: no other static child can match.
      break;
    }
  }
  const param = node.param;
  if (param !== undefined) {
    let end = path.indexOf('/', i);
    if (end === -1) end = len;
    // A parameter is never empty.
    if (end > i) {
      scratch[depth * 2] = i;
      scratch[depth * 2 + 1] = end;
      if (end === len) {
        if (param.leaf !== undefined) return param.leaf;
      } else {
        const found = walk(param, path, end + 1, depth + 1, scratch);
        if (found !== undefined) return found;
      }
    }
  }
  const wildcard = node.wildcard;
  if (wildcard !== undefined) {
    scratch[depth * 2] = i;
    scratch[depth * 2 + 1] = len;
    return wildcard.leaf;
  }
  return undefined;
}

/**
 * Walks the template down the tree as far as it exists and throws when a
 * route of the same shape is already there: the same template is a
 * duplicate; the same shape with other names (`/users/:id`, `/users/:name`)
 * is a conflict, since both would match exactly the same paths. Routes that
 * only share a prefix may name its parameters differently
 * (`/orgs/:id` and `/orgs/:orgId/members`).
 */
export function check<T>(root: Node<T>, segments: readonly Segment[], names: readonly string[], method: string, template: string): void {
  let node: Node<T> | undefined = root;
  let pending: string[] = [];
  for (let k = 0; k <= segments.length; k++) {
    const segment = segments[k];
    if (segment !== undefined && segment.kind === 'static') {
      pending.push(segment.text);
      continue;
    }
    if (pending.length > 0) {
      node = descendStatic(node, pending);
      pending = [];
      if (node === undefined) return;
    }
    let existing: Leaf<T> | undefined;
    if (segment === undefined) existing = node.leaf;
    else if (segment.kind === 'wildcard') existing = node.wildcard?.leaf;
    else {
      node = node.param;
      if (node === undefined) return;
      continue;
    }
    if (existing === undefined) return;
    if (existing.template === template) throw duplicate(method, template);
    const at = names.findIndex((name, i) => existing.names[i] !== name);
    const kinds = segments.filter((s) => s.kind !== 'static');
    const sigil = kinds[at]?.kind === 'wildcard' ? '*' : ':';
    const what = sigil === '*' ? 'wildcards' : 'parameters';
    throw new RangeError(
      `Route ${method} ${template} conflicts with ${method} ${existing.template}: "${sigil}${names[at]}" and ` +
        `"${sigil}${existing.names[at]}" are ${what} at the same position; give them one name`,
    );
  }
}

/** Follows existing static labels for a run of static segments; undefined where the tree stops. */
function descendStatic<T>(node: Node<T>, texts: readonly string[]): Node<T> | undefined {
  let k = 0;
  while (k < texts.length) {
    const child = node.children.find((c) => firstSegment(c.label) === texts[k]);
    if (child === undefined) return undefined;
    const labels = child.label.split('/');
    for (const label of labels) {
      if (texts[k] !== label) return undefined;
      k++;
    }
    node = child;
  }
  return node;
}

/** Adds a checked template to the tree, splitting compressed labels where the new route branches. */
export function insert<T>(root: Node<T>, segments: readonly Segment[], leaf: Leaf<T>): void {
  let node = root;
  let k = 0;
  while (k < segments.length) {
    const segment = segments[k]!;
    if (segment.kind === 'static') {
      const texts: string[] = [];
      for (let m = k; m < segments.length; m++) {
        const s = segments[m]!;
        if (s.kind !== 'static') break;
        texts.push(s.text);
      }
      let child = node.children.find((c) => firstSegment(c.label) === texts[0]);
      if (child === undefined) {
        child = new Node<T>(texts.join('/'));
        node.children.push(child);
        node.reindex();
        node = child;
        k += texts.length;
        continue;
      }
      const labels = child.label.split('/');
      let common = 0;
      while (common < labels.length && common < texts.length && labels[common] === texts[common]) common++;
      if (common < labels.length) {
        // Split: a new node takes the shared segments, the old one keeps the rest.
        const middle = new Node<T>(labels.slice(0, common).join('/'));
        child.relabel(labels.slice(common).join('/'));
        middle.children.push(child);
        node.children[node.children.indexOf(child)] = middle;
        node.reindex();
        child = middle;
      }
      node = child;
      k += common;
    } else if (segment.kind === 'param') {
      node.param ??= new Node<T>('');
      node = node.param;
      k++;
    } else {
      node.wildcard = { leaf };
      return;
    }
  }
  node.leaf = leaf;
}

function firstSegment(label: string): string {
  const slash = label.indexOf('/');
  return slash === -1 ? label : label.slice(0, slash);
}

function firstCode(label: string): number {
  return label.length === 0 ? SLASH : label.charCodeAt(0);
}

export function duplicate(method: string, template: string): RangeError {
  return new RangeError(`Duplicate route: ${method} ${template} is already registered`);
}
