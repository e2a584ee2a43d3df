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
 *
 * @typedef {ReturnType<typeof import('../router.js').runRouterBench>} RouterResult
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
    ['variant', 'req/s (median)', 'p50 ms', 'p99 ms', 'ratio to baseline', 'paired ratio (min–max)', 'CPU µs/req', 'CPU ratio (min–max)', 'req/s per round', 'problems'],
    ...suite.variants.map((v) => [
      v.label,
      fmtInt(v.medianRps),
      fmtMs(v.medianP50Ms),
      fmtMs(v.medianP99Ms),
      v.ratio === null ? '1.00 (baseline)' : v.ratio.toFixed(2),
      v.pairedRatio === null ? '-' : fmtRatio(v.pairedRatio, v.ratioSpread),
      Number.isFinite(v.medianCpuUs) ? v.medianCpuUs.toFixed(1) : 'n/a',
      v.cpuRatio === null ? '1.00 (baseline)' : fmtRatio(v.cpuRatio, v.cpuRatioSpread),
      v.rounds.map((r) => fmtInt(r.rps)).join(' / '),
      v.errors + v.non2xx === 0 ? '-' : `${v.errors} errors, ${v.non2xx} non-2xx`,
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
      `${fmtRatio(c.cpuRatio, c.cpuRatioSpread)} by CPU per request (${c.against} CPU/req ÷ ${c.variant} CPU/req) ` +
      `(target > 1.00: ${c.ratio > 1 ? 'met' : 'NOT met'} by req/s, ${c.cpuRatio > 1 ? 'met' : 'NOT met'} by CPU)`,
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
 * @typedef {object} BenchReport
 * @property {string} startedAt
 * @property {string} finishedAt
 * @property {Record<string, unknown>} machine
 * @property {Record<string, number>} settings
 * @property {HttpSuiteResult[]} http
 * @property {RouterResult | null} router
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
  out.push('');
  return out.join('\n');
}
