import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PASS_VALIDITY_DAYS, type Evacuee } from '../../domain/index.js';
import { DEMO_ROSTER_FILE, demoEvacuees, readRoster, registerEvacuees, writeRoster } from '../../ops/roster.js';
import { decimal, defineVerb, text, whole, type Verb } from '../verb.js';

const validDays = decimal(
  '--valid-days <d>',
  'days the passes are valid (fractions allowed)',
  { above: 0, max: 3650 },
  { default: String(DEFAULT_PASS_VALIDITY_DAYS) },
);
const expiryAfter = (days: number): Date => new Date(Date.now() + days * 86_400_000);

/**
 * `exodus roster generate|import`: the people allowed to leave a wish. Generating is like seeding
 * test accounts: N demo evacuees with boarding passes signed by this deployment's secret, valid for
 * `--valid-days` (default 30).
 */
export const rosterVerbs: readonly Verb[] = [
  defineVerb({
    path: ['roster', 'generate'],
    summary: 'make demo evacuees with boarding passes (CSV: evacuee_id,name,boarding_pass)',
    options: {
      count: whole('--count <n>', 'how many evacuees', { min: 1, max: 1_000_000 }, { required: true }),
      out: text('--out <file>', 'where the CSV goes (readable by its owner only)', { required: true }),
      validDays,
    },
    settings: 'engines',
    examples: ['exodus roster generate --data .exodus --count 10 --out roster.csv'],
    run: async ({ options, config: settings }) => {
      const config = settings();
      const evacuees = demoEvacuees(options.count);
      await registerEvacuees(config, evacuees);
      writeRoster(config, evacuees, options.out, expiryAfter(options.validDays));
      console.log(`wrote ${options.count} evacuees, ${describeIds(evacuees)}, with boarding passes to ${options.out}`);
      // Generated ids always start at EV-00001: the same people as the demo roster's, with new passes.
      if (existsSync(join(config.dataDir, DEMO_ROSTER_FILE)))
        console.log(
          `(EV-00001 on are the demo evacuees of ${join(config.dataDir, DEMO_ROSTER_FILE)}: the same people, new passes; their wishes are one per evacuee)`,
        );
    },
  }),
  defineVerb({
    path: ['roster', 'import'],
    summary: 'register a real roster (CSV with evacuee_id,name; errors name the line)',
    args: '<file>',
    options: { out: text('--out <file>', 'also write their boarding passes here'), validDays },
    settings: 'engines',
    examples: ['exodus roster import evacuees.csv --out passes.csv'],
    run: async ({ options, positionals: [file = ''], config: settings }) => {
      const config = settings();
      const evacuees = readRoster(file);
      await registerEvacuees(config, evacuees);
      if (options.out !== undefined) writeRoster(config, evacuees, options.out, expiryAfter(options.validDays));
      console.log(
        `registered ${evacuees.length} evacuees from ${file}${options.out === undefined ? '' : `; boarding passes in ${options.out}`}`,
      );
    },
  }),
];

/** `EV-00001` or `EV-00001 … EV-02000`. */
function describeIds(evacuees: readonly Evacuee[]): string {
  const [first, last] = [evacuees[0]?.id, evacuees.at(-1)?.id];
  return first === last ? String(first) : `${String(first)} … ${String(last)}`;
}
