/**
 * `Vary` that is appended to, never clobbered (RFC 9110 §12.5.5): the names
 * cors adds join whatever the app or another middleware already listed, no
 * name appears twice, and `Vary: *` (which already says "everything") is
 * left alone.
 */
import type { WardResponse } from '@ward/core';

/** A `Vary` addition, precomputed at configuration time. */
export interface VaryField {
  /** The value when the response has no `Vary` yet, e.g. `Origin`. */
  readonly value: string;
  /** The field names, lower case, for comparison with what is there. */
  readonly names: readonly string[];
  /** The field names as written. */
  readonly written: readonly string[];
}

/** Builds a {@link VaryField} from field names. */
export function varyField(names: readonly string[]): VaryField {
  return Object.freeze({
    value: names.join(', '),
    names: Object.freeze(names.map((name) => name.toLowerCase())),
    written: Object.freeze([...names]),
  });
}

/**
 * Adds `field`'s names to the response's `Vary`. The common case (no `Vary`
 * yet, or exactly this one) costs one header read.
 */
export function addVary(res: WardResponse, field: VaryField): void {
  const prior = res.getHeader('vary');
  if (prior === undefined) {
    res.setHeader('vary', field.value);
    return;
  }
  const text = Array.isArray(prior) ? prior.join(', ') : String(prior);
  if (text === field.value) return;
  const present = new Set<string>();
  for (const name of text.split(',')) present.add(name.trim().toLowerCase());
  if (present.has('*')) return;
  let added = '';
  field.names.forEach((name, i) => {
    if (!present.has(name)) added += `${added === '' ? '' : ', '}${field.written[i]!}`;
  });
  if (added === '') return;
  res.setHeader('vary', text.trim() === '' ? added : `${text}, ${added}`);
}
