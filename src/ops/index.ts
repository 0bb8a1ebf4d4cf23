export { freePort } from './free-port.js';
export { seededRandom } from './seeded-random.js';
export { reachable } from './reachable.js';
export { auditLedger, type AuditReport, type AuditSources, LedgerError, type LedgerEntry, parseLedger } from './audit.js';
export { prometheusRules, readSlos, type Slo, SloError, sloOf } from './slo-rules.js';
export { yamlNamesIn } from './yaml-checker.js';
