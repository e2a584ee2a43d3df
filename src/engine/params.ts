/**
 * Route params: percent-decoded values (a malformed escape is a 400, never
 * a crash) in an object made by a per-route builder, so each route's params
 * always have one shape.
 */
import { HttpError } from '@ward/core';

/** Makes one route's params object from the offsets a lookup recorded. */
export type ParamsBuilder = (path: string, offsets: Int32Array) => Record<string, string>;

const PERCENT = '%';

/**
 * One param value: sliced from the path, percent-decoded when it holds an
 * escape.
 */
function paramValue(path: string, start: number, end: number, name: string): string {
  const raw = path.slice(start, end);
  return raw.indexOf(PERCENT) === -1 ? raw : decodeParam(raw, name);
}

/**
 * A builder per route that makes its params object as one object literal,
 * so every match of a route yields an object of one shape and V8 keeps
 * property access on it fast (find-my-way does the same). The names are
 * checked identifiers, written as JSON strings; where code generation is
 * disallowed (`--disallow-code-generation-from-strings`), a loop does it.
 */
export function paramsBuilder(names: readonly string[]): ParamsBuilder {
  const members = names.map((name, k) => `${JSON.stringify(name)}: value(path, offsets[${k * 2}], offsets[${k * 2 + 1}], ${JSON.stringify(name)})`);
  try {
    const make = new Function('value', `return function params(path, offsets) { return { ${members.join(', ')} }; };`) as (
      value: typeof paramValue,
    ) => ParamsBuilder;
    return make(paramValue);
  } catch {
    return function params(path, offsets) {
      const out: Record<string, string> = {};
      for (let k = 0; k < names.length; k++) out[names[k]!] = paramValue(path, offsets[k * 2]!, offsets[k * 2 + 1]!, names[k]!);
      return out;
    };
  }
}

function decodeParam(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, {
      code: 'BAD_REQUEST',
      detail: `The path parameter "${name}" has a malformed percent-encoding`,
    });
  }
}
