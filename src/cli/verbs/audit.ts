import { readFileSync } from 'node:fs';
import { auditUntilComplete } from '../../ops/audit-until-complete.js';
import { parseLedger, type AuditReport, type LedgerEntry } from '../../ops/audit.js';
import { table } from '../../ops/text-table.js';
import type { Tally } from '../../ports/index.js';
import { CliError, defineVerb, duration, text, toggle } from '../verb.js';

/**
 * `exodus audit --ledger FILE [--wait D] [--json]`: every wish the ledger says was accepted is
 * accounted for (stored, superseded by a newer one of its evacuee, or rejected with a reason), each
 * evacuee has one current wish and it is their newest, and tally = store = wall. Exit 0 when all
 * holds, 1 naming what does not (2 for bad usage). `--wait` gives a pipeline still draining up to D
 * to finish before a missing wish counts as lost.
 */
export const auditVerb = defineVerb({
  path: ['audit'],
  needsData: true,
  summary: 'account for every accepted wish in a ledger: stored, superseded or rejected; tally = store = wall',
  options: {
    ledger: text('--ledger <file>', 'ledger.ndjson: one {id, evacueeId, destination, submittedAt} per 202', {
      required: true,
    }),
    wait: duration('--wait <d>', 'give a draining pipeline this long before a missing wish counts as lost', {
      default: '0s',
    }),
    json: toggle('--json', 'print JSON instead of tables'),
  },
  settings: 'engines',
  examples: ['exodus audit --ledger load-results/baseline-…/ledger.ndjson --data .exodus --wait 30s'],
  run: async ({ options, config }) => {
    const ledger = readLedger(options.ledger);
    // On a terminal, a draining pipeline shows how far it has got while --wait lasts.
    const progress = process.stderr.isTTY
      ? (report: AuditReport, leftMs: number) =>
          process.stderr.write(
            `\r\x1b[2Kwaiting: ${report.onTheirWay.length} of ${report.wishes} accepted wishes on their way, ${Math.ceil(leftMs / 1000)} s left`,
          )
      : undefined;
    const { report } = await auditUntilComplete(config(), ledger, options.wait, progress);
    if (progress !== undefined) process.stderr.write('\r\x1b[2K');
    console.log(options.json === true ? JSON.stringify(report, null, 2) : describe(report));
    if (!report.ok) process.exitCode = 1;
  },
});

function readLedger(file: string): LedgerEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read the ledger ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseLedger(text, file);
}

/** The report for a person: a verdict first, then the figures, then every id that is wrong. */
function describe(report: AuditReport): string {
  const { outcomes, tally } = report;
  const row = (name: string, t: Tally): (string | number)[] => [name, t.mars, t.europa];
  const lines = [
    verdict(report),
    '',
    table(
      ['accepted (202)', 'stored', 'superseded', 'rejected', 'on their way', 'dead-lettered', 'lost'],
      [
        [
          report.wishes,
          outcomes.stored,
          outcomes.superseded,
          outcomes.rejected,
          report.onTheirWay.length,
          report.deadLettered.length,
          report.lost.length,
        ],
      ],
    ),
    '',
    table(
      ['current wishes', 'mars', 'europa'],
      [
        row('ledger (expected)', tally.ledger),
        row('store records', tally.store),
        row('store count', tally.storeCount),
        row('read model tally', tally.readModel),
        row('wall', tally.wall),
      ],
    ),
  ];
  const dead = Object.entries(report.deadLetters).filter(([, letters]) => letters.length > 0);
  if (dead.length > 0)
    lines.push(
      '',
      'dead letters:',
      ...dead.flatMap(([queue, letters]) => letters.map((l) => `  ${queue}  ${l.id}  ${l.lastError}`)),
    );
  if (report.onTheirWay.length > 0)
    lines.push(
      '',
      'on their way (accepted, still in a queue):',
      ...report.onTheirWay.map(({ id, queue }) => `  ${id}  ${queue ?? 'in transit'}`),
    );
  if (report.lost.length > 0)
    lines.push(
      '',
      'LOST (accepted, in no queue, no dead-letter queue, not in the store):',
      ...report.lost.map((id) => `  ${id}`),
    );
  for (const wrong of report.wrongCurrent)
    lines.push(`wrong current for ${wrong.evacueeId}: ${wrong.current.join(', ') || 'none'} (newest: ${wrong.newest})`);
  for (const id of report.supersededByNothing) lines.push(`superseded by nothing: ${id}`);
  return lines.join('\n');
}

/** One line: all done; only wishes still on their way (nothing lost: wait for them); or what is wrong. */
function verdict(report: AuditReport): string {
  if (report.ok)
    return `OK: all ${report.wishes} accepted wishes accounted for (${report.evacuees} evacuees); nothing lost, nothing counted twice`;
  const onlyArriving =
    report.lost.length === 0 &&
    report.deadLettered.length === 0 &&
    report.wrongCurrent.length === 0 &&
    report.supersededByNothing.length === 0;
  if (onlyArriving && report.onTheirWay.length > 0) {
    return `NOT YET: ${report.onTheirWay.length} accepted wishes still on their way (in the queues, safe); nothing lost; exodus audit --wait 60s waits for them`;
  }
  return `NOT OK: ${report.lost.length} lost, ${report.deadLettered.length} dead-lettered, ${report.onTheirWay.length} on their way, ${report.wrongCurrent.length} evacuees with a wrong current wish, ${report.supersededByNothing.length} superseded by nothing, tallies ${report.tallyMatches ? 'equal' : 'differ'}`;
}
