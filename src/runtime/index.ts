export { adminToken, adminTokenFile, tokenMatches } from './admin-token.js';
export { backoffMs } from './backoff.js';
export { reportCanaryRun, withoutOkCanaryRuns, type CanaryRun } from './canary-telemetry.js';
export {
  CONFIG_FLAG_NAMES,
  ConfigError,
  SETTINGS,
  loadConfig,
  parseDurationMs,
  passSecret,
  type Config,
  type ConfigFlags,
  type ConsoleConfig,
  type FrontDoorConfig,
} from './config.js';
export { ConsumeLoop, type ConsumeOptions, type MessageHandler } from './consume-loop.js';
export { DataDirBusyError, isAlive, lockDataDir, type DataDirLock, type LockHolder } from './data-dir-lock.js';
export { createEnvelope } from './envelope.js';
export { startHealthServer } from './health.js';
export { IntervalLog, flushIntervalLogs } from './interval-log.js';
export { LOG_FILE_DEFAULTS, logFilesOf, openProcessLog, type ProcessLog, type ProcessLogOptions } from './log-files.js';
export { stdoutAndRecords } from './log-records.js';
export { createLogger, logLinesFor, type Logger } from './logger.js';
export { LOOP_DELAY } from './loop-delay.js';
export { messagingAttributes } from './messaging-metrics.js';
export { meter } from './metrics.js';
export { otlpExport, type OtlpExport } from './otlp-export.js';
export { packageRoot, packageVersion } from './package-root.js';
export { countWish, observeQueue, observeTally, recordTimeToWall, type WishOutcome } from './pipeline-metrics.js';
export { processDelivery, type DeliveryProcessing } from './process-delivery.js';
export { produce } from './produce.js';
export { Secret } from './secret.js';
export { onShutdown } from './shutdown.js';
export { observeSupervisor, reportSupervisorEvent } from './supervisor-telemetry.js';
export {
  CRASH_LOOP_EXITS,
  Supervisor,
  backlogTotal,
  lastSupervisorState,
  processName,
  runningSupervisorState,
  stopLeftovers,
  supervisorStateFile,
  type Backlog,
  type CrashLoop,
  type ProcessSpec,
  type ProcessState,
  type StopOutcome,
  type StopPlan,
  type StopRole,
  type SupervisorEvent,
  type SupervisorOptions,
  type SupervisorState,
} from './supervisor.js';
export { ATTRIBUTE, CANARY_RUN, EVENT, METRIC } from './telemetry-names.js';
export {
  contextFrom,
  currentTraceContext,
  serviceNameOf,
  startTelemetry,
  tagWishSpan,
  tracer,
  type Telemetry,
} from './telemetry.js';
