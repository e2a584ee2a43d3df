/**
 * The Lua scripts behind `RedisStore`: token-bucket.ts's `consumeState`,
 * line for line, run atomically inside Redis — one round trip decides every
 * policy of a request.
 *
 * A script is generated per shape of limiter (how many policies, with or
 * without a penalty), unrolled: no loop, no table, and a one-string reply.
 * The policies' numbers are written into it as constants when the store
 * allows one more inlined script; otherwise they travel as arguments. Both
 * forms cost Redis less than one generic script that parses its argument
 * list, and the inlined one also spares the client encoding seven
 * arguments per call (measured in bench/rate-limit-store.js).
 */
import { createHash } from 'node:crypto';
import { type CompiledPolicies, keepMs } from './policy.js';

/** A generated script and the constant arguments every call passes after `cost, now`. */
export interface TokenBucketScript {
  readonly source: string;
  /** SHA-1 of {@link source}, for EVALSHA. */
  readonly sha: string;
  /** ARGV after `cost` and `now`: empty for an inlined script, else keep, penalty and 4 numbers a policy. */
  readonly tail: readonly number[];
}

/** Above this, Lua's number formatting (`%.14g`) would print an exponent: such values are written with `%.0f`. */
const EXACT_PRINT_LIMIT = 1e14;

/**
 * The script for `policies`: with their numbers as constants (`inline`), or
 * read from ARGV (one script per shape, whatever the numbers).
 */
export function tokenBucketScript(policies: CompiledPolicies, inline: boolean): TokenBucketScript {
  const n = policies.length;
  const penalty = policies.penalty;
  const tail: number[] = [keepMs(policies), penalty?.after ?? 0, penalty?.blockMs ?? 0];
  for (const p of policies) tail.push(p.unitsPerToken, p.unitsPerMs, p.capacityUnits, p.fullRefillMs);
  // A number of the script: the constant itself, or a local read once from its argument (ARGV[3] is the first of the tail).
  const names = ['keep', 'after', 'block', ...policies.flatMap((_, p) => [`u${p + 1}`, `r${p + 1}`, `c${p + 1}`, `f${p + 1}`])];
  const value = (index: number): string => (inline ? String(tail[index]) : names[index]!);
  const levels = Array.from({ length: n }, (_, p) => `l${p + 1}`);
  const fields = ['at', ...levels, ...(penalty === undefined ? [] : ['strikes', 'untilMs'])];
  // A value is printed with '%.0f' when it may be too large for Lua's '%.14g' (unless its capacity says it never is).
  const printed = (name: string, capacity: number | undefined): string =>
    capacity !== undefined && capacity < EXACT_PRINT_LIMIT ? name : `(${name} < ${EXACT_PRINT_LIMIT} and ${name} or string.format('%.0f', ${name}))`;

  const lines: string[] = [];
  const add = (...more: string[]): void => {
    lines.push(...more);
  };
  add(
    `-- ward token bucket, generated: ${n} ${n === 1 ? 'policy' : 'policies'}${penalty === undefined ? '' : ' and a penalty'}, ${inline ? 'numbers inlined' : 'numbers in ARGV[3..]'}.`,
    '-- KEYS[1] the key; ARGV[1] cost in tokens (0 = refill and read only);',
    "-- ARGV[2] the clock in ms, or '' for the server's own (TIME): one clock for the whole fleet.",
    inline ? '-- Policy numbers, in units (policy.ts): per policy, units per token, units per ms, capacity, full refill in ms.' : '-- ARGV[3] ms to keep the key, [4] penalty refusals, [5] penalty block ms, then 4 numbers a policy (units per token, per ms, capacity, full refill ms).',
    `-- State: the string "${fields.join(' ')}", integers. Returns "allowed(1/0) ${fields.join(' ')}".`,
    'local cost = tonumber(ARGV[1])',
    'local now',
    "if ARGV[2] == '' then",
    "  local t = redis.call('TIME')",
    '  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)',
    'else',
    '  now = tonumber(ARGV[2])',
    'end',
    ...(inline ? [] : names.map((name, i) => `local ${name} = tonumber(ARGV[${i + 3}])`)),
    // Read the state; a missing key, one written for another shape of limiter,
    // one of another type (pcall: WRONGTYPE is this key's problem, not an
    // outage) or with numbers no bucket can hold, is full — and overwritten.
    `local ${fields.join(', ')}`,
    "local raw = redis.pcall('GET', KEYS[1])",
    "if type(raw) == 'string' then",
    '  local find, sub, p = string.find, string.sub, 1',
  );
  for (let i = 0; i < fields.length; i++) {
    const indent = '  '.repeat(i + 1);
    if (i < fields.length - 1) {
      add(`${indent}local e = find(raw, ' ', p, true)`, `${indent}if e then`, `${indent}  ${fields[i]} = tonumber(sub(raw, p, e - 1))`, `${indent}  p = e + 1`);
    } else {
      add(`${indent}if find(raw, ' ', p, true) == nil then ${fields[i]} = tonumber(sub(raw, p)) end`);
    }
  }
  for (let i = fields.length - 2; i >= 0; i--) add(`${'  '.repeat(i + 1)}end`);
  add(
    'end',
    // NaN, negative, fractional, or above the capacity: written by no limiter of this shape.
    'if at ~= nil and (at ~= at or at < 0 or at % 1 ~= 0) then at = nil end',
    // A time further ahead than the key's whole life: no clock step explains it (it would block the key for good).
    `if at ~= nil and at > now + ${value(0)} then at = nil end`,
    ...levels.map((l, p) => `if ${l} ~= nil and (${l} ~= ${l} or ${l} < 0 or ${l} % 1 ~= 0 or ${l} > ${value(3 + p * 4 + 2)}) then ${l} = nil end`),
    ...(penalty === undefined ? [] : ['if strikes ~= nil and (strikes ~= strikes or strikes < 0 or strikes % 1 ~= 0) then strikes = nil end', 'if untilMs ~= nil and (untilMs ~= untilMs or untilMs < 0) then untilMs = nil end']),
    `if ${fields.map((f) => `${f} == nil`).join(' or ')} then`,
    '  at = now',
    ...levels.map((l, p) => `  ${l} = ${value(3 + p * 4 + 2)}`),
    ...(penalty === undefined ? [] : ['  strikes = 0', '  untilMs = 0']),
    'end',
    // Refill: a clock that went backwards refills nothing and does not move 'at' back.
    'local elapsed = 0',
    'if now > at then',
    '  elapsed = now - at',
    '  at = now',
    'end',
    'local allowed = 1',
    'local gain',
  );
  for (let p = 0; p < n; p++) {
    const base = 3 + p * 4;
    const l = levels[p]!;
    const capacity = value(base + 2);
    add(
      // Capped first, so elapsed * units per ms stays an exact integer.
      `gain = elapsed`,
      `if gain > ${value(base + 3)} then gain = ${value(base + 3)} end`,
      `${l} = ${l} + gain * ${value(base + 1)}`,
      `if ${l} > ${capacity} then ${l} = ${capacity} end`,
      `if ${l} < cost * ${value(base)} then allowed = 0 end`,
    );
  }
  if (penalty !== undefined) {
    // The penalty box: inside a block, refused whatever the buckets hold; the
    // after-th refusal in a row starts a block; an allowed request (not a peek) clears the strikes.
    add(
      'if now < untilMs then',
      '  allowed = 0',
      'elseif allowed == 0 then',
      '  strikes = strikes + 1',
      `  if strikes >= ${value(1)} then`,
      '    strikes = 0',
      `    untilMs = now + ${value(2)}`,
      '  end',
      'elseif cost > 0 then',
      '  strikes = 0',
      'end',
    );
  }
  // Charge every bucket, or none; write back as exact integers.
  add('if allowed == 1 and cost > 0 then', ...levels.map((l, p) => `  ${l} = ${l} - cost * ${value(3 + p * 4)}`), 'end');
  const text = fields.map((f, i) => {
    if (f === 'strikes') return f;
    if (i >= 1 && i <= n) return printed(f, inline ? policies[i - 1]!.capacityUnits : undefined);
    return printed(f, undefined);
  });
  // The reply is the state as written, after the verdict: one string is cheaper for Redis to return than an array.
  add(`local state = ${text.join(" .. ' ' .. ")}`, `redis.call('SET', KEYS[1], state, 'PX', ${value(0)})`, `return allowed .. ' ' .. state`, '');
  const source = lines.join('\n');
  return { source, sha: createHash('sha1').update(source).digest('hex'), tail: inline ? [] : tail };
}
