/**
 * A short, safe description of a value for configuration error messages
 * ("maxAgeSec must be a non-negative integer, got \"10\""): never the whole
 * value, which may be a secret or a huge object. One helper for every
 * package, so their messages read alike.
 */

/**
 * @example
 * describeValue('10'); // '"10"'
 * describeValue(new Map()); // 'a Map'
 * describeValue(() => 1); // 'the function anonymous'
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof RegExp) return String(value);
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'bigint':
      return `${value}n`;
    case 'number':
    case 'boolean':
      return String(value);
    case 'function':
      return `the function ${value.name || 'anonymous'}`;
    case 'object': {
      const name = (value as { constructor?: { name?: string } }).constructor?.name;
      return name !== undefined && name !== 'Object' ? `a ${name}` : 'an object';
    }
    default:
      return typeof value;
  }
}
