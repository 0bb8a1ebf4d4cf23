export { auditUntilComplete } from './audit-until-complete.js';
export {
  LedgerError,
  auditLedger,
  expectedTally,
  parseLedger,
  type AuditReport,
  type AuditSources,
  type LedgerEntry,
} from './audit.js';
export { backlogOf } from './backlog.js';
export { freePort } from './free-port.js';
export { InputError } from './input-error.js';
export { reachable } from './reachable.js';
export { DEMO_ROSTER_FILE, demoEvacuees, demoRoster, readRoster, registerEvacuees, writeRoster } from './roster.js';
export { seededRandom } from './seeded-random.js';
export { SloError, prometheusRules, readSlos, sloOf, type Slo } from './slo-rules.js';
export { table } from './text-table.js';
export { yamlNamesIn } from './yaml-checker.js';
