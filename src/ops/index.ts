export { freePort } from './free-port.js';
export { seededRandom } from './seeded-random.js';
export { ONE_ADDRESS_LOAD_ENV } from './one-address-load.js';
export { reachable } from './reachable.js';
export { tempDir } from './temp-dir.js';
export { HAVE_NATS_SERVER, HAVE_POSTGRES_BINARIES, startPrivateNats, startPrivatePostgres, type PrivateServer } from './private-servers.js';
export { auditLedger, type AuditReport, type AuditSources, LedgerError, type LedgerEntry, parseLedger } from './audit.js';
export { prometheusRules, readSlos, type Slo, SloError, sloOf } from './slo-rules.js';
