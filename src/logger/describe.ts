/**
 * A short, safe description of an option value for configuration error
 * messages (never the whole value: it may be a secret or a huge object).
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'number':
    case 'bigint':
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
