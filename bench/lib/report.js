/**
 * Formats benchmark results: a plain-text table for the terminal and a
 * markdown summary for bench/results/latest.md.
 */
import { formatPeers } from './peers.js';

/**
 * @typedef {import('./peers.js').Peer} Peer
 * @typedef {import('./load.js').LoadResult} LoadResult
 *
 * @typedef {object} VariantResult
 * @property {string} variant
 * @property {string} label
 * @property {LoadResult[]} rounds one measured run per round, in order
 * @property {number} medianRps
 * @property {number} medianP50Ms
 * @property {number} medianP99Ms
 * @property {number | null} ratio medianRps ÷ the baseline's medianRps (null for the baseline)
 * @property {number | null} pairedRatio median of the per-round paired ratios (round i ÷ baseline round i)
 * @property {{ min: number, max: number } | null} ratioSpread smallest and largest per-round paired ratio
 * @property {number} medianCpuUs median server CPU microseconds per request
 * @property {number} medianGcUs median microseconds per request the server spent in V8's garbage collector
 * @property {number} medianAllocBytes median JS heap bytes the server allocated per request
 * @property {number | null} cpuRatio median of per-round baseline CPU/req ÷ variant CPU/req (null for the baseline)
 * @property {{ min: number, max: number } | null} cpuRatioSpread smallest and largest per-round CPU ratio
 * @property {number} errors summed over rounds
 * @property {number} non2xx summed over rounds
 *
 * @typedef {object} HttpSuiteResult
 * @property {string} id
 * @property {string} title
 * @property {string} path the request path loaded
 * @property {string} baseline variant name of the baseline
 * @property {number | null} target the ratio the non-baseline variants should reach, if any
 * @property {string[]} [targetVariants] the variants the target applies to (absent: every one but the baseline)
 * @property {Comparison[]} [comparisons] head-to-head ratios between two non-baseline variants (ward ÷ peers)
 * @property {Record<string, string>} [requestHeaders] headers every request carried (absent: none)
 * @property {Peer[]} peers
 * @property {VariantResult[]} variants
 *
 * @typedef {object} Comparison one variant against another that ran beside it in every round
 * @property {string} variant
 * @property {string} against
 * @property {number} ratio the variant's median req/s ÷ the other's
 * @property {number} pairedRatio median of the per-round ratios
 * @property {{ min: number, max: number }} ratioSpread
 * @property {number} cpuRatio median of per-round (other's CPU/req ÷ the variant's): above 1 when the variant costs less
 * @property {{ min: number, max: number }} cpuRatioSpread
 * @property {number | null} [target] the ratio the variant should exceed (1: beat the other); null: for information, no target (absent: 1)
 *
 * @typedef {ReturnType<typeof import('../router.js').runRouterBench>} RouterResult
 * @typedef {import('../rate-limit-store.js').RateLimitStoreResult} RateLimitStoreResult
 */

/**
 * @param {number} n
 * @returns {string}
 */
export function fmtInt(n) {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

/**
 * @param {number} n
 * @returns {string}
 */
function fmtMs(n) {
  return Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : 'n/a';
}

/**
 * @param {number | null} ratio
 * @param {{ min: number, max: number } | null} spread
 * @returns {string}
 */
function fmtRatio(ratio, spread) {
  if (ratio === null) return '1.00 (baseline)';
  const range = spread === null ? '' : ` (${spread.min.toFixed(2)}–${spread.max.toFixed(2)})`;
  return `${ratio.toFixed(2)}${range}`;
}

/**
 * @param {string[][]} rows first row is the header
 * @returns {string}
 */
function textTable(rows) {
  const widths = /** @type {string[]} */ (rows[0]).map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  return rows.map((row) => row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0))).join('  ')).join('\n');
}

/**
 * @param {string[][]} rows first row is the header
 * @returns {string}
 */
function markdownTable(rows) {
  const [head, ...body] = rows;
  const header = /** @type {string[]} */ (head);
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/**
 * @param {HttpSuiteResult} suite
 * @returns {string[][]}
 */
function httpRows(suite) {
  return [
    ['variant', 'req/s (median)', 'p50 ms', 'p99 ms', 'ratio to baseline', 'paired ratio (min–max)', 'CPU µs/req', 'CPU ratio (min–max)', 'GC µs/req', 'KiB allocated/req', 'req/s per round', 'problems'],
    ...suite.variants.map((v) => [
      v.label,
      fmtInt(v.medianRps),
      fmtMs(v.medianP50Ms),
      fmtMs(v.medianP99Ms),
      v.ratio === null ? '1.00 (baseline)' : v.ratio.toFixed(2),
      v.pairedRatio === null ? '-' : fmtRatio(v.pairedRatio, v.ratioSpread),
      Number.isFinite(v.medianCpuUs) ? v.medianCpuUs.toFixed(1) : 'n/a',
      v.cpuRatio === null ? '1.00 (baseline)' : fmtRatio(v.cpuRatio, v.cpuRatioSpread),
      Number.isFinite(v.medianGcUs) ? v.medianGcUs.toFixed(1) : 'n/a',
      Number.isFinite(v.medianAllocBytes) ? (v.medianAllocBytes / 1024).toFixed(1) : 'n/a',
      v.rounds.map((r) => fmtInt(r.rps)).join(' / '),
      v.errors + v.non2xx === 0 ? '-' : `${v.errors} errors, ${v.non2xx} with an unexpected status`,
    ]),
  ];
}

/**
 * @param {HttpSuiteResult} suite
 * @returns {string | undefined}
 */
function targetLine(suite) {
  if (suite.target === null) return undefined;
  const target = suite.target;
  const only = suite.targetVariants;
  return suite.variants
    .filter((v) => v.ratio !== null && (only === undefined || only.includes(v.variant)))
    .map(
      (v) =>
        `${v.label}: ${((v.ratio ?? 0) * 100).toFixed(1)} % of ${suite.baseline}'s req/s, ${((v.cpuRatio ?? 0) * 100).toFixed(1)} % by CPU per request ` +
        `(target ≥ ${(target * 100).toFixed(0)} %: ${(v.ratio ?? 0) >= target ? 'met' : 'NOT met'} by req/s, ${(v.cpuRatio ?? 0) >= target ? 'met' : 'NOT met'} by CPU)`,
    )
    .join('; ');
}

/**
 * @param {number} target
 * @param {number} ratio
 * @param {number} cpuRatio
 */
function targetText(target, ratio, cpuRatio) {
  const sign = target === 1 ? '>' : '≥';
  const met = (/** @type {number} */ r) => (target === 1 ? r > 1 : r >= target);
  return ` (target ${sign} ${target.toFixed(2)}: ${met(ratio) ? 'met' : 'NOT met'} by req/s, ${met(cpuRatio) ? 'met' : 'NOT met'} by CPU)`;
}

/**
 * The head-to-head comparisons of a suite (ward ÷ peers), one line each;
 * "beats" means above 1.00.
 *
 * @param {HttpSuiteResult} suite
 * @returns {string[]}
 */
function comparisonLines(suite) {
  /** @param {string} name */
  const label = (name) => suite.variants.find((v) => v.variant === name)?.label ?? name;
  return (suite.comparisons ?? []).map(
    (c) =>
      `${c.variant} ÷ ${c.against} (${label(c.variant)} vs ${label(c.against)}): ` +
      `${c.ratio.toFixed(2)} by median req/s, paired ${fmtRatio(c.pairedRatio, c.ratioSpread)}; ` +
      `${fmtRatio(c.cpuRatio, c.cpuRatioSpread)} by CPU per request (${c.against} CPU/req ÷ ${c.variant} CPU/req)` +
      (c.target === null ? '' : targetText(c.target ?? 1, c.ratio, c.cpuRatio)),
  );
}

/**
 * `GET /path`, plus the request headers every request carried.
 *
 * @param {HttpSuiteResult} suite
 * @returns {string}
 */
function requestLine(suite) {
  const headers = Object.entries(suite.requestHeaders ?? {}).map(([k, v]) => `${k}: ${v}`);
  return `GET ${suite.path}${headers.length === 0 ? '' : `, ${headers.join(', ')}`}`;
}

/**
 * @param {HttpSuiteResult} suite
 * @returns {string}
 */
export function httpSuiteText(suite) {
  const lines = [`\n${suite.title}  [${requestLine(suite)}]`, `peers: ${formatPeers(suite.peers)}`, textTable(httpRows(suite))];
  const target = targetLine(suite);
  if (target !== undefined) lines.push(target);
  lines.push(...comparisonLines(suite));
  return lines.join('\n');
}

/**
 * @param {RouterResult} router
 * @returns {string[][]}
 */
function routerRows(router) {
  const names = router.cases[0]?.contenders.map((c) => c.name) ?? [];
  return [
    ['case', ...names.map((n) => `${n} ops/s (median)`), 'ratio engine ÷ find-my-way (min–max)'],
    ...router.cases.map((c) => [
      `${c.case} (${c.lookups} paths)`,
      ...c.contenders.map((x) => fmtInt(x.medianOpsPerSec)),
      fmtRatio(c.ratio, c.ratioSpread),
    ]),
  ];
}

/**
 * @param {RouterResult} router
 * @returns {string}
 */
export function routerText(router) {
  return [
    `\nRouter lookups, ${router.routes} routes, ${router.rounds} rounds`,
    `peers: ${formatPeers(router.peers)}`,
    textTable(routerRows(router)),
  ].join('\n');
}

/**
 * @param {number} ops
 * @returns {string}
 */
function fmtOps(ops) {
  if (!Number.isFinite(ops)) return 'n/a';
  return ops >= 1e6 ? `${(ops / 1e6).toFixed(2)} M` : `${(ops / 1e3).toFixed(1)} k`;
}

/**
 * @param {{ ratio: number, pairedRatio: number, spread: { min: number, max: number }, target: number | null, met: boolean | null }} r
 * @returns {string}
 */
function fmtStoreRatio(r) {
  const target = r.target === null ? '' : ` — target ≥ ${r.target}: ${r.met ? 'met' : 'NOT met'}`;
  return `${r.ratio.toFixed(2)} (paired ${fmtRatio(r.pairedRatio, r.spread)})${target}`;
}

/**
 * The tables of the rate-limit store benchmark: one per part, each with the
 * ratio lines under it.
 *
 * @param {RateLimitStoreResult} result
 * @returns {{ title: string, rows: string[][], notes: string[] }[]}
 */
function rateLimitStoreSections(result) {
  /** @type {{ title: string, rows: string[][], notes: string[] }[]} */
  const sections = [];
  const memory = result.memory;
  if (memory !== null && memory.keyCounts.length > 0) {
    const labels = memory.keyCounts[0]?.contenders.map((c) => c.label) ?? [];
    sections.push({
      title: `Memory stores: decisions/s (median of ${result.rounds} rounds, ~${memory.batchMs} ms timed batch each, one child per run)`,
      rows: [
        ['distinct keys', ...labels],
        ...memory.keyCounts.map((k) => [fmtInt(k.keys), ...k.contenders.map((c) => `${fmtOps(c.median)} (${c.values.map(fmtOps).join(' / ')})`)]),
      ],
      notes: memory.keyCounts.flatMap((k) => k.ratios.map((r) => `${fmtInt(k.keys)} keys: ${r.label}: ${fmtStoreRatio(r)}`)),
    });
  }
  const rss = result.rss;
  if (rss !== null) {
    sections.push({
      title: `Memory stores: RSS after inserting ${fmtInt(rss.keys)} keys (own process each, after a full GC)`,
      rows: [
        ['contender', 'RSS MiB', 'RSS before MiB', 'heap used MiB', 'bytes/key (RSS)', 'insert s'],
        ...rss.contenders.map((c) => [c.label, c.rssMiB.toFixed(0), c.rssBeforeMiB.toFixed(0), c.heapUsedMiB.toFixed(0), c.bytesPerKey.toFixed(0), (c.insertMs / 1000).toFixed(2)]),
      ],
      notes: rss.met === null ? [] : [`ward MemoryStore: ${(rss.contenders.find((c) => c.name === 'ward-store')?.rssMiB ?? Number.NaN).toFixed(0)} MiB RSS (target ≤ ${rss.targetMiB} MiB: ${rss.met ? 'met' : 'NOT met'})`],
    });
  }
  const redis = result.redis;
  if (redis !== null && 'skipped' in redis) {
    sections.push({ title: 'Redis stores: SKIPPED', rows: [['reason'], [redis.skipped]], notes: [] });
  } else if (redis !== null) {
    sections.push({
      title:
        `Redis stores: decisions/s with ${redis.concurrency} calls outstanding, ${fmtInt(redis.keys)} keys ` +
        `(private redis-server ${redis.serverVersion}; median of ${result.rounds} rounds, ${redis.warmupSec} s warm-up + ${redis.durationSec} s each)`,
      rows: [
        ['contender', 'decisions/s (median)', 'per round', 'round trips/decision', 'Redis commands/decision (scripts\' own included)', 'client CPU µs/decision', 'Redis µs/decision', 'problems'],
        ...redis.contenders.map((c) => [
          c.label,
          fmtInt(c.median),
          c.values.map(fmtOps).join(' / '),
          `${c.roundTripsPerDecision.toFixed(3)} ${c.oneRoundTrip ? '(= 1)' : '(NOT 1)'}`,
          Object.entries(c.commands).map(([name, n]) => `${name} ${n >= 0.005 ? n.toFixed(2) : n.toExponential(0)}`).join(', '),
          c.cpuUsPerDecision.toFixed(1),
          c.serverUsPerDecision.toFixed(1),
          c.refused === 0 ? '-' : `${c.refused} not allowed`,
        ]),
      ],
      notes: [
        ...redis.contenders
          .filter((c) => c.name.startsWith('ward-'))
          .map((c) => `${c.label}: ${c.roundTripsPerDecision.toFixed(3)} round trips per decision, ${c.scriptCallsPerDecision.toFixed(3)} script calls per decision counted by Redis (target = 1: ${c.oneRoundTrip ? 'met' : 'NOT met'})`),
        ...redis.ratios.map((r) => `${r.label}: ${fmtStoreRatio(r)}`),
      ],
    });
  }
  return sections;
}

/**
 * @param {RateLimitStoreResult} result
 * @returns {string}
 */
export function rateLimitStoreText(result) {
  const lines = [`\nRate-limit stores, ${result.rounds} rounds`, `peers: ${formatPeers(result.peers)}`];
  for (const section of rateLimitStoreSections(result)) lines.push('', section.title, textTable(section.rows), ...section.notes);
  return lines.join('\n');
}

/**
 * @typedef {object} BenchReport
 * @property {string} startedAt
 * @property {string} finishedAt
 * @property {Record<string, unknown>} machine
 * @property {Record<string, number>} settings
 * @property {HttpSuiteResult[]} http
 * @property {RouterResult | null} router
 * @property {RateLimitStoreResult | null} [rateLimitStore]
 * @property {import('../auth-verify.js').AuthVerifyResult | null} [authVerify]
 * @property {import('../circuit-breaker.js').CircuitBreakerResult | null} [circuitBreaker]
 */

/**
 * The markdown summary.
 *
 * @param {BenchReport} report
 * @returns {string}
 */
export function markdown(report) {
  const m = report.machine;
  const s = report.settings;
  const out = [
    '# ward benchmark — latest run',
    '',
    `Run ${report.startedAt} → ${report.finishedAt}. Generated by \`npm run bench\`; see bench/README.md for what each figure means.`,
    '',
    `Machine: ${m['cpus']} × ${m['cpuModel']}, node ${m['node']}, ${m['platform']}; load average before/after: ${m['loadBefore']} / ${m['loadAfter']}. Commit ${m['commit']}.`,
    '',
    `Settings: ${s['rounds']} interleaved rounds, ${s['durationSec']} s measured + ${s['warmupSec']} s warm-up per run, ${s['connections']} connections, pipelining ${s['pipelining']}. "Ratio to baseline" is median req/s ÷ the baseline's median req/s; "paired ratio" is the median of the per-round ratios (round i ÷ baseline round i), with their min–max. When the two disagree, or the range is wide, the machine was noisy.`,
  ];
  for (const suite of report.http) {
    out.push('', `## ${suite.title}`, '', `\`${requestLine(suite)}\` — ${formatPeers(suite.peers)}`, '', markdownTable(httpRows(suite)));
    const target = targetLine(suite);
    if (target !== undefined) out.push('', target);
    for (const line of comparisonLines(suite)) out.push('', line);
  }
  if (report.router !== null) {
    out.push(
      '',
      `## Router lookups (${report.router.routes} routes, in-process)`,
      '',
      formatPeers(report.router.peers),
      '',
      markdownTable(routerRows(report.router)),
    );
  }
  if (report.rateLimitStore !== undefined && report.rateLimitStore !== null) {
    out.push('', `## Rate-limit stores (in-process, ${report.rateLimitStore.rounds} rounds)`, '', formatPeers(report.rateLimitStore.peers));
    for (const section of rateLimitStoreSections(report.rateLimitStore)) {
      out.push('', `### ${section.title}`, '', markdownTable(section.rows));
      if (section.notes.length > 0) out.push('', ...section.notes.map((n) => `- ${n}`));
    }
  }
  if (report.authVerify !== undefined && report.authVerify !== null) {
    const av = report.authVerify;
    out.push('', `## Access-token verification (in-process, ${av.rounds} rounds of ${av.batchMs} ms)`, '', formatPeers(av.peers), '');
    out.push(
      markdownTable([
        ['group', 'contender', 'ops/s (median)', "ratio to the group's first"],
        ...av.rows.map((r) => [r.group, r.contender, String(Math.round(r.medianOps)), r.ratio === null ? '' : r.ratio.toFixed(2)]),
      ]),
    );
  }
  if (report.circuitBreaker !== undefined && report.circuitBreaker !== null) {
    const cb = report.circuitBreaker;
    out.push('', `## Circuit breaker and retry, success path (in-process, ${cb.rounds} rounds of ${cb.batchMs} ms, fn = async () => 1)`, '', formatPeers(cb.peers), '');
    out.push(markdownTable([['contender', 'calls/s (median)'], ...cb.rows.map((r) => [r.contender, String(Math.round(r.medianOps))])]), '');
    out.push(
      markdownTable([
        ['ratio (median of per-round ratios)', 'value', 'target'],
        ...cb.ratios.map((r) => [r.label, r.ratio.toFixed(2), r.target === null ? 'information' : `≥ ${r.target}: ${r.met ? 'met' : 'NOT met'}`]),
      ]),
    );
  }
  out.push('');
  return out.join('\n');
}
