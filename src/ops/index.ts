export {
  LedgerError,
  auditLedger,
  expectedTally,
  parseLedger,
  type AuditReport,
  type AuditSources,
  type LedgerEntry,
} from './audit.js';
export { freePort } from './free-port.js';
export { reachable } from './reachable.js';
export { seededRandom } from './seeded-random.js';
export { SloError, prometheusRules, readSlos, sloOf, type Slo } from './slo-rules.js';
export { yamlNamesIn } from './yaml-checker.js';
