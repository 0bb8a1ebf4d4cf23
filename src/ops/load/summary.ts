import { table } from '../text-table.js';
import type { LoadReport } from './report-shape.js';

/** A load's report for a terminal: the verdict, POST latency, each threshold, the audit. */
export function summary(report: LoadReport): string {
  const { result } = report;
  const post = result.byAction.post.latency;
  return [
    `${report.pass ? 'PASS' : 'FAIL'}: ${report.scenario.name}, ${result.accepted} wishes accepted, ${result.shed} shed (429/503), ${result.errors} errors, ${result.skipped} skipped`,
    '',
    table(
      ['POST 202 latency (ms)', 'p50', 'p99', 'p99.9', 'max'],
      [['from when due', post.p50Ms, post.p99Ms, post.p999Ms, post.maxMs]],
    ),
    '',
    table(
      ['threshold', 'bound', 'measured', 'verdict'],
      report.verdicts.map((v) => [
        v.metric,
        v.bound,
        v.value === undefined ? 'not measured' : Math.round(v.value * 1000) / 1000,
        v.pass ? 'pass' : 'FAIL',
      ]),
    ),
    ...(report.audit === undefined
      ? []
      : [
          '',
          `audit: ${report.audit.ok ? 'ok' : 'NOT OK'}, ${report.audit.accepted} accepted, ${report.audit.onTheirWay} on their way, ${report.audit.deadLettered} dead-lettered, ${report.audit.lost} lost${report.audit.waitS === undefined ? '' : `, complete ${report.audit.waitS} s after the load`}`,
        ]),
  ].join('\n');
}
