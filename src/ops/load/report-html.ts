import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { LoadReport } from './report-shape.js';

/**
 * The load report as one HTML file that opens anywhere, offline: uPlot (the console's chart library)
 * and the data are inlined. Charts share one time axis (seconds from the start) with the phases and
 * the injected faults drawn on every chart; tables give the parameters, the verdicts and the totals.
 */
export function renderHtmlReport(report: LoadReport): string {
  const require = createRequire(import.meta.url);
  const uplotJs = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const { result, verdicts } = report;
  const pass = report.pass;
  const rows = (cells: readonly (readonly unknown[])[]): string =>
    cells.map((row) => `<tr>${row.map((cell) => `<td>${escape(String(cell))}</td>`).join('')}</tr>`).join('');
  const head = (cells: readonly string[]): string =>
    `<tr>${cells.map((cell) => `<th>${escape(cell)}</th>`).join('')}</tr>`;
  const latencyRow = (
    name: string,
    l: { count: number; p50Ms: number; p90Ms: number; p99Ms: number; p999Ms: number; maxMs: number },
  ): unknown[] => [name, l.count, l.p50Ms, l.p90Ms, l.p99Ms, l.p999Ms, l.maxMs];
  const answers = Object.entries(result.byAction).flatMap(([action, r]) =>
    Object.entries(r.answers).map(([key, n]) => [action, key, n]),
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Exodus load report: ${escape(report.scenario.name)} (${pass ? 'pass' : 'FAIL'})</title>
<style>${uplotCss}
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1b1f24; max-width: 1100px; }
h1 { margin-bottom: 0.2rem; } .sub { color: #57606a; margin-top: 0; }
.verdict { display: inline-block; padding: 0.3rem 0.8rem; border-radius: 4px; font-weight: 600; color: #fff; background: ${pass ? '#1a7f37' : '#cf222e'}; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; } th, td { border: 1px solid #d0d7de; padding: 0.25rem 0.6rem; text-align: left; }
td.fail { color: #cf222e; font-weight: 600; } td.pass { color: #1a7f37; }
.chart { margin: 0.5rem 0 1.5rem; } h2 { margin-top: 2rem; }
</style>
</head>
<body>
<h1>Load report: ${escape(report.scenario.name)}</h1>
<p class="sub">${escape(report.scenario.description)} · target ${escape(result.target)} · started ${escape(result.startedAt)} · ${(result.durationMs / 1000).toFixed(1)} s</p>
<p><span class="verdict" id="verdict">${pass ? 'PASS' : 'FAIL'}</span> ${verdicts.filter((v) => !v.pass).length} of ${verdicts.length} thresholds failed</p>

<h2>Thresholds</h2>
<table>${head(['metric', 'meaning', 'bound', 'measured', 'verdict'])}${verdicts
    .map(
      (v) =>
        `<tr><td>${escape(v.metric)}</td><td>${escape(v.meaning)}</td><td>${escape(v.bound)}</td><td>${v.value === undefined ? 'not measured' : escape(String(round(v.value)))}</td><td class="${v.pass ? 'pass' : 'fail'}">${v.pass ? 'pass' : 'FAIL'}</td></tr>`,
    )
    .join('')}</table>

<h2>Over time</h2>
<p>Vertical lines: phase starts (grey) and injected faults (red).</p>
<div class="chart" id="chart-rate"></div>
<div class="chart" id="chart-latency"></div>
<div class="chart" id="chart-statuses"></div>
<div class="chart" id="chart-queue"></div>

<h2>Totals</h2>
<table>${head(['arrivals', 'skipped', 'answered', 'accepted (202)', 'shed (429/503)', 'retries', 'gave up', 'errors', 'unexpected 5xx'])}${rows(
    [
      [
        result.arrivals,
        result.skipped,
        result.answered,
        result.accepted,
        result.shed,
        result.retries,
        result.gaveUp,
        result.errors,
        result.unexpected5xx,
      ],
    ],
  )}</table>
<table>${head(['action', 'answer', 'count'])}${rows(answers)}</table>
<table>${head(['latency (ms, from when due)', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max'])}${rows([latencyRow('POST answered 202', result.byAction.post.latency), latencyRow('reads answered 200', result.readLatency)])}</table>
${report.audit === undefined ? '<p>No audit (run with the engines, --data or --queue and --store, to audit).</p>' : `<h2>Audit</h2><table>${head(['accepted', 'stored', 'superseded', 'rejected', 'on their way', 'dead-lettered', 'lost', 'waited (s)', 'verdict'])}${rows([[report.audit.accepted, report.audit.stored, report.audit.superseded, report.audit.rejected, report.audit.onTheirWay, report.audit.deadLettered, report.audit.lost, report.audit.waitS ?? 'not within the wait', report.audit.ok ? 'ok' : 'NOT OK']])}</table>`}

<h2>Parameters</h2>
<table>${head(['setting', 'value'])}${rows(Object.entries(report.parameters).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))}</table>
<table>${head(['phase', 'kind', 'starts (s)', 'lasts (s)', 'rate from (/s)', 'rate to (/s)'])}${rows(result.timeline.phases.map((p, i) => [p.name, report.segments[i]?.kind ?? '', p.startMs / 1000, p.durationMs / 1000, round(report.segments[i]?.from ?? 0), round(report.segments[i]?.to ?? 0)]))}</table>
${result.marks.length === 0 ? '' : `<h2>Faults</h2><table>${head(['at (s)', 'what'])}${rows(result.marks.map((m) => [(m.atMs / 1000).toFixed(1), m.label]))}</table>`}

<script>${uplotJs}</script>
<script>
const report = ${safeJson({ timeline: result.timeline, marks: result.marks })};
${CHART_SCRIPT}
</script>
</body>
</html>
`;
}

/** Draws the four charts; runs in the report's page. Plain JS: it is inlined, not bundled. */
const CHART_SCRIPT = `
const t = report.timeline;
const xs = Array.from({ length: t.seconds }, (_, i) => i + 1);
const width = Math.min(1100, document.body.clientWidth || 1000);
const palette = ['#0969da', '#1a7f37', '#bf8700', '#cf222e', '#8250df', '#57606a', '#e16f24', '#1b7c83'];
function marksPlugin() {
  return { hooks: { draw: [(u) => {
    const ctx = u.ctx;
    const line = (seconds, colour, label, row) => {
      const x = u.valToPos(seconds, 'x', true);
      ctx.save(); ctx.strokeStyle = colour; ctx.lineWidth = 1; ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
      ctx.fillStyle = colour; ctx.font = '11px system-ui'; ctx.fillText(label, x + 3, u.bbox.top + 11 + row * 13); ctx.restore();
    };
    for (const p of t.phases) line(p.startMs / 1000, '#8c959f', p.name, 0);
    report.marks.forEach((m, i) => line(m.atMs / 1000, '#cf222e', m.label, 1 + (i % 3)));
  }] } };
}
function chart(id, title, yLabel, series) {
  const opts = { title, width, height: 240, plugins: [marksPlugin()], scales: { x: { time: false } },
    axes: [{ label: 'seconds from start' }, { label: yLabel }],
    series: [{ label: 's' }, ...series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], width: 1.5, spanGaps: false }))] };
  new uPlot(opts, [xs, ...series.map((s) => s.values)], document.getElementById(id));
}
const ok = t.statuses['202'] || xs.map(() => 0);
chart('chart-rate', 'Rate: asked, sent and accepted per second', 'per second', [
  { label: 'asked', values: t.asked }, { label: 'sent', values: t.sent }, { label: '202', values: ok }, { label: 'skipped', values: t.skipped }]);
chart('chart-latency', 'Latency of POSTs answered 202 (from when due)', 'ms', [
  { label: 'p50', values: t.acceptedP50Ms }, { label: 'p99', values: t.acceptedP99Ms }]);
chart('chart-statuses', 'Answers per second by status', 'per second', Object.entries(t.statuses).map(([k, v]) => ({ label: k, values: v })));
chart('chart-queue', 'Backlog (messages in the queues)', 'messages', [{ label: 'queued', values: t.queueDepth }]);
document.body.dataset.charts = String(document.querySelectorAll('.uplot').length);
`;

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that cannot close the script element it sits in. */
function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
