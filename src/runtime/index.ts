export { adminToken, adminTokenFile, tokenMatches } from './admin-token.js';
export { backoffMs } from './backoff.js';
export {
  type Config,
  CONFIG_FLAG_NAMES,
  ConfigError,
  type ConfigFlags,
  type ConsoleConfig,
  type FrontDoorConfig,
  loadConfig,
  parseDurationMs,
  passSecret,
  SETTINGS,
} from './config.js';
export { ConsumeLoop, type ConsumeOptions, type MessageHandler } from './consume-loop.js';
export { type DeliveryProcessing, processDelivery } from './process-delivery.js';
export { messagingAttributes } from './messaging-metrics.js';
export { createEnvelope } from './envelope.js';
export { startHealthServer } from './health.js';
export { createLogger, type Logger, logLinesFor } from './logger.js';
export { stdoutAndRecords } from './log-records.js';
export { LOG_FILE_DEFAULTS, logFilesOf, openProcessLog, type ProcessLog, type ProcessLogOptions } from './log-files.js';
export { IntervalLog } from './interval-log.js';
export { meter } from './metrics.js';
export { otlpExport, type OtlpExport } from './otlp-export.js';
export { countWish, observeQueue, observeTally, type WishOutcome, recordTimeToWall } from './pipeline-metrics.js';
export { Secret } from './secret.js';
export { onShutdown } from './shutdown.js';
export { packageRoot } from './package-root.js';
export { contextFrom, currentTraceContext, serviceNameOf, startTelemetry, tagWishSpan, type Telemetry, tracer } from './telemetry.js';
export { ATTRIBUTE, EVENT, METRIC } from './telemetry-names.js';
export { produce } from './produce.js';
export {
  type Backlog,
  lastSupervisorState,
  processName,
  type ProcessSpec,
  type ProcessState,
  runningSupervisorState,
  type StopOutcome,
  type StopPlan,
  type StopRole,
  Supervisor,
  type SupervisorEvent,
  type SupervisorOptions,
  type SupervisorState,
  supervisorStateFile,
  stopLeftovers,
  backlogTotal,
} from './supervisor.js';
export { DataDirBusyError, type DataDirLock, isAlive, type LockHolder, lockDataDir } from './data-dir-lock.js';
export { observeSupervisor, reportSupervisorEvent } from './supervisor-telemetry.js';
