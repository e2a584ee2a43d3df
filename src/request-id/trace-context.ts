/**
 * W3C Trace Context Level 1 (https://www.w3.org/TR/trace-context/):
 * parsing and validating `traceparent`, keeping a valid `tracestate`, and
 * the trace of one request — continued from the caller, or started here.
 *
 * Char loops, no regex: the parser reads at most 55 characters of any
 * header, whatever its length.
 */
import type { RandomHex } from './random.js';

/** A `traceparent` header that passed validation (§3.2). */
export interface ParsedTraceparent {
  /** The header's version, 0–254 (`ff` is invalid). Fields are read per version 00 either way (§3.2.4). */
  readonly version: number;
  /** 32 lowercase hex characters, not all zero. */
  readonly traceId: string;
  /** The caller's span: 16 lowercase hex characters, not all zero. */
  readonly parentId: string;
  /** The trace-flags byte as sent, 0–255; bit 0 is `sampled`. */
  readonly flags: number;
}

/** The trace of one request, as `ctx.state.trace` and `getRequestContext().trace` expose it. */
export interface TraceContext {
  /** 32 lowercase hex: the caller's trace id, or a new random one when this hop started the trace. */
  readonly traceId: string;
  /** The caller's span id (16 hex) from a valid `traceparent`; `undefined` when this hop started the trace. */
  readonly parentId: string | undefined;
  /** This hop's span id (16 hex, random): the parent-id of the calls this request makes. */
  readonly spanId: string;
  /** The incoming trace-flags byte (0–255); `0` for a trace started here. */
  readonly flags: number;
  /** The caller's `sampled` flag (bit 0 of {@link flags}); `false` for a trace started here. */
  readonly sampled: boolean;
  /**
   * The incoming `tracestate`, kept only next to a valid `traceparent` and
   * when it is at most 512 printable ASCII characters (§3.3); else `undefined`.
   */
  readonly tracestate: string | undefined;
  /**
   * The `traceparent` to send on calls made for this request (and the one
   * `echoTraceparent` answers with): `00-<traceId>-<spanId>-<01|00>`. Only
   * the sampled bit is propagated; Level 1 says other flags are set to zero.
   */
  readonly traceparent: string;
}

const DASH = 0x2d;
/** Level 1 §3.2.2.1: version 00 is exactly 55 characters; later versions at least 55. */
const TRACEPARENT_LENGTH = 55;
/** §3.3.1.5: vendors propagate at least 512 characters; a longer list loses whole entries until it fits. */
export const MAX_TRACESTATE_LENGTH = 512;
/** §3.3.1.1: a list holds at most 32 members. */
export const MAX_TRACESTATE_MEMBERS = 32;
/** §3.3.1.5: entries longer than this go first when a list must be cut. */
const LONG_MEMBER = 128;
/** §3.3.2.1: `key=value`; a key is a simple key or `tenant@system`; a value is printable ASCII without `,` and `=`, not ending in a space. */
const MEMBER = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** Lowercase hex digit values; -1 for anything else (uppercase included: §3.2.2 HEXDIGLC). */
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX['0123456789abcdef'.charCodeAt(i)] = i;

function hexDigit(value: string, i: number): number {
  const c = value.charCodeAt(i);
  return c < 128 ? HEX[c]! : -1;
}

/** The byte written as two lowercase hex digits at `i`, or -1. */
function hexByte(value: string, i: number): number {
  const high = hexDigit(value, i);
  const low = hexDigit(value, i + 1);
  return high < 0 || low < 0 ? -1 : (high << 4) | low;
}

/** True when `value[start, end)` is lowercase hex and not all zeros. */
function nonZeroHex(value: string, start: number, end: number): boolean {
  let bits = 0;
  for (let i = start; i < end; i++) {
    const digit = hexDigit(value, i);
    if (digit < 0) return false;
    bits |= digit;
  }
  return bits !== 0;
}

/**
 * Parses and validates a `traceparent` header (W3C Trace Context Level 1).
 * Returns `undefined` for anything invalid, in which case a receiver starts
 * a new trace:
 * - version `00`: exactly `00-<32 hex>-<16 hex>-<2 hex>`, lowercase;
 * - version `ff`: invalid;
 * - later versions (§3.2.4): at least 55 characters; the version-00 fields
 *   are read, and whatever follows them must start with `-`;
 * - a trace-id or parent-id of all zeros is invalid.
 *
 * @example
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
 * // { version: 0, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7', flags: 1 }
 * parseTraceparent('00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'); // undefined (uppercase)
 */
export function parseTraceparent(value: unknown): ParsedTraceparent | undefined {
  if (typeof value !== 'string') return undefined;
  const length = value.length;
  if (length < TRACEPARENT_LENGTH) return undefined;
  const version = hexByte(value, 0);
  if (version < 0 || version === 0xff) return undefined;
  if (version === 0 ? length !== TRACEPARENT_LENGTH : length > TRACEPARENT_LENGTH && value.charCodeAt(TRACEPARENT_LENGTH) !== DASH) {
    return undefined;
  }
  if (value.charCodeAt(2) !== DASH || value.charCodeAt(35) !== DASH || value.charCodeAt(52) !== DASH) return undefined;
  if (!nonZeroHex(value, 3, 35) || !nonZeroHex(value, 36, 52)) return undefined;
  const flags = hexByte(value, 53);
  if (flags < 0) return undefined;
  return { version, traceId: value.slice(3, 35), parentId: value.slice(36, 52), flags };
}

/**
 * The `tracestate` to pass on (§3.3): every member valid and its key
 * unique, or nothing at all (a list we cannot parse is not ours to
 * forward). Past 32 members, or 512 characters, whole members are removed
 * — those over 128 characters first, then from the end — never cut.
 */
export function keepTracestate(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const members: string[] = [];
  const keys = new Set<string>();
  for (const raw of value.split(',')) {
    const member = raw.trim();
    // Empty members (`a=1,,b=2`) are allowed and carry nothing.
    if (member === '') continue;
    if (!MEMBER.test(member)) return undefined;
    const key = member.slice(0, member.indexOf('='));
    if (keys.has(key)) return undefined;
    keys.add(key);
    members.push(member);
  }
  if (members.length === 0) return undefined;
  if (members.length > MAX_TRACESTATE_MEMBERS) members.length = MAX_TRACESTATE_MEMBERS;
  let length = members.length - 1;
  for (const member of members) length += member.length;
  for (let i = members.length - 1; i >= 0 && length > MAX_TRACESTATE_LENGTH; i--) {
    if (members[i]!.length > LONG_MEMBER) length -= members.splice(i, 1)[0]!.length + 1;
  }
  while (length > MAX_TRACESTATE_LENGTH) length -= members.pop()!.length + 1;
  return members.length === 0 ? undefined : members.join(',');
}

/** The trace of one request. The span id and the outgoing header are made on first use. */
export class Trace implements TraceContext {
  readonly traceId: string;
  readonly parentId: string | undefined;
  readonly flags: number;
  readonly tracestate: string | undefined;
  readonly #random: RandomHex;
  #spanId: string | undefined = undefined;

  constructor(traceId: string, parentId: string | undefined, flags: number, tracestate: string | undefined, random: RandomHex) {
    this.traceId = traceId;
    this.parentId = parentId;
    this.flags = flags;
    this.tracestate = tracestate;
    this.#random = random;
  }

  get sampled(): boolean {
    return (this.flags & 1) === 1;
  }

  get spanId(): string {
    return (this.#spanId ??= this.#random.next(8));
  }

  get traceparent(): string {
    return `00-${this.traceId}-${this.spanId}-${(this.flags & 1) === 1 ? '01' : '00'}`;
  }

  /** Every member, for loggers that serialise the state. */
  toJSON(): Record<string, unknown> {
    return {
      traceId: this.traceId,
      parentId: this.parentId,
      spanId: this.spanId,
      flags: this.flags,
      sampled: this.sampled,
      tracestate: this.tracestate,
      traceparent: this.traceparent,
    };
  }
}

/** A new trace started by this hop: random trace id, no parent, flags 00. */
export function newTrace(random: RandomHex): Trace {
  return new Trace(random.next(16), undefined, 0, undefined, random);
}

/** The trace continued from a valid `traceparent` (and its `tracestate`). */
export function continuedTrace(parsed: ParsedTraceparent, tracestate: unknown, random: RandomHex): Trace {
  return new Trace(parsed.traceId, parsed.parentId, parsed.flags, keepTracestate(tracestate), random);
}
