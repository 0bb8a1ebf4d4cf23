import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentResult } from './experiment.js';

export const RESULTS_FILE = 'results.json';
export const REPORT_FILE = 'report.md';

/** Writes an experiment's `results.json` and its readable `report.md` into `dir`; returns their paths. */
export function writeResults(dir: string, result: ExperimentResult): { results: string; report: string } {
  const results = join(dir, RESULTS_FILE);
  const report = join(dir, REPORT_FILE);
  writeFileSync(results, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(report, reportOf(result));
  return { results, report };
}

const seconds = (value: number | undefined): string => (value === undefined ? '—' : `${value.toFixed(1)} s`);

/** The report: the verdict, the figures, the checks, and the run second by second with the faults on it. */
export function reportOf(result: ExperimentResult): string {
  const lines = [
    `# ${result.experiment}: ${result.ok ? 'held' : 'FAILED'}`,
    '',
    '| accepted | refused | lost | on their way | dead-lettered | wrong current | tally = store = wall | recovery | drained |',
    '|---:|---:|---:|---:|---:|---:|:---:|---:|---:|',
    `| ${result.accepted} | ${result.refused} | ${result.lost} | ${result.onTheirWay} | ${result.deadLettered} | ${result.wrongCurrent} | ${result.tallyMatches ? 'yes' : 'NO'} | ${seconds(result.recoveryS)} | ${seconds(result.drainedS)} |`,
    '',
    '**Recovery**: from the fault to the end of the last second in which any request was refused or failed.',
    "**Drained**: from the load's end until every 202 was audited in the store (the backlog left, drained).",
    '',
    '## Checks',
    '',
    ...result.checks.map((check) => `- ${check.ok ? '✔' : '✘'} ${check.name}: ${check.detail}`),
    ...(result.checks.length === 0 ? ['- (the audit only)'] : []),
    '',
    '## Where to look',
    '',
    ...Object.entries(result.links).map(([name, where]) => `- ${name}: ${where}`),
    '',
    '## Measured',
    '',
    ...Object.entries(result.extra).map(([key, value]) => `- ${key}: ${String(value)}`),
    '',
    '## Timeline',
    '',
    ...result.timeline.map((event) => `- ${event.atS.toFixed(1)} s: ${event.label}`),
    '',
    'Second by second (202s, refusals 429/503, other failures, backlog):',
    '',
    '| s | 202 | refused | failed | backlog | |',
    '|---:|---:|---:|---:|---:|---|',
    ...result.seconds.map((second) => {
      const events = result.timeline
        .filter((event) => Math.floor(event.atS) === second.atS)
        .map((event) => event.label)
        .join('; ');
      return `| ${second.atS} | ${second.accepted} | ${second.refused} | ${second.errors} | ${second.backlog ?? '—'} | ${events} |`;
    }),
    '',
  ];
  return lines.join('\n');
}
