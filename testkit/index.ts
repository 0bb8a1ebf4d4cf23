/**
 * The test kit: what the tests, the benchmarks and `deploy/local` use to start Exodus and the servers
 * it runs on, drive it, and check what it did. Product code never imports it.
 *
 * This is its face for plain Node code. Five parts load heavy things, so each has a face of its own
 * that only the tests needing it import: `testkit/browser.ts` (Chromium, through playwright-core),
 * `testkit/console-tabs.ts` (the ops console in signed-in browser tabs, on browser.ts),
 * `testkit/in-process.ts` (a pipeline in the test's process, with an in-memory OpenTelemetry SDK
 * started on import), `testkit/fault-run.ts` (fault runs that assert with vitest's `expect`),
 * `testkit/aws/index.ts` (the AWS emulators and Lambda events).
 */
export { startFixedDoor, type FixedDoor } from './fixed-door.js';
export { expectedTally, flowWishes, type FlowAnswer } from './flow.js';
export { intercept } from './intercept.js';
export {
  killHoldingLeases,
  killService,
  type ConsumerProcess,
  type HeldKill,
  type KillHoldingOptions,
} from './kills.js';
export { Ledger, type AcceptedWish } from './ledger.js';
export { MARKUP_VECTORS, NON_MARKUP_VECTORS, XSS_VECTORS, naughtyStrings } from './naughty-strings.js';
export { ONE_ADDRESS_LOAD_ENV } from './one-address-load.js';
export { OtlpReceiver, type LogSeen, type PointSeen, type Received, type SpanSeen } from './otlp-receiver.js';
export { forEachLimit, runPaced, seededRandom, sleep } from './pacing.js';
export { PgCutProxy, bindOf, simpleQuery, type CutMode, type PgMessage } from './pg-cut-proxy.js';
export { queueStatus, type QueueCounts } from './queues.js';
export { saturate } from './saturate.js';
export {
  HAVE_NATS_SERVER,
  HAVE_POSTGRES_BINARIES,
  startPrivateNats,
  startPrivateNatsCluster,
  startPrivatePostgres,
  type NatsClusterMember,
  type PrivateNatsCluster,
  type PrivateServer,
} from './servers.js';
export { SERVICES_REQUIRED, skipUnless } from './skip-unless.js';
export {
  childOf,
  processLog,
  readChildren,
  restartedSince,
  servicePids,
  waitForRestart,
  waitUntilConsuming,
  type ChildState,
  type LogEntry,
  type ServicePid,
} from './supervisor-view.js';
export {
  BIN,
  exodus,
  freePort,
  generateRoster,
  killAllSystems,
  postWish,
  startSystem,
  submitWish,
  waitFor,
  wishStatus,
  type RosterEntry,
  type RunningSystem,
  type SystemOptions,
} from './systems.js';
export { tempDir } from './temp-dir.js';
