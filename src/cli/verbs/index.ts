import type { AnyVerb } from '../verb.js';
import { auditVerb } from './audit.js';
import { chaosVerbs } from './chaos.js';
import { dlqVerbs } from './dlq.js';
import { loadVerb } from './load.js';
import { migrateVerb } from './migrate.js';
import { rosterVerbs } from './roster.js';
import { serveVerb } from './serve.js';
import { sloRulesVerb } from './slo.js';
import { statusVerb } from './status.js';
import { upVerb } from './up.js';

/** Every verb and sub-verb, in the order `exodus --help` lists them. */
export const VERBS: readonly AnyVerb[] = [
  upVerb,
  serveVerb,
  ...rosterVerbs,
  statusVerb,
  ...dlqVerbs,
  migrateVerb,
  auditVerb,
  sloRulesVerb,
  loadVerb,
  ...chaosVerbs,
];

/** What the verbs with sub-verbs are about, for `exodus --help`. */
export const GROUPS: Readonly<Record<string, string>> = {
  roster: 'the evacuees allowed to leave a wish: generate demo ones, import real ones',
  dlq: "a queue's dead letters: list, show, put back, drop",
  slo: 'the service level objectives in slo/',
  chaos: 'faults injected into a running exodus up, with a hypothesis checked and a journal',
};
