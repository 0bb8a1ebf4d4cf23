export { openPool, send, type Answer, type LoadRequest } from './http.js';
export { LatencyRecorder, type LatencySummary } from './latency.js';
export { RateProfile, type Segment } from './profile.js';
export { type AuditSummary, type LoadReport } from './report-shape.js';
export { LEDGER_FILE, REPORT_FILE, RESULTS_FILE, writeReport } from './report.js';
export { RosterFileError, readRosterFile, type RosterEntry } from './roster-file.js';
export { readScenario, runLoad, type LoadRequestOptions } from './run-scenario.js';
export { LoadRun, type ActionResult, type LoadOptions, type LoadResult, type Mark, type Progress } from './run.js';
export {
  ACTIONS,
  AUDIT_METRICS,
  ScenarioError,
  THRESHOLD_METRICS,
  loadScenario,
  parseScenario,
  segmentsOf,
  type Action,
  type Scenario,
  type Threshold,
  type ThresholdMetric,
} from './scenario.js';
export { summary } from './summary.js';
export { judge, needsAudit, type AuditFigures, type Verdict } from './thresholds.js';
export { type TimelineData } from './timeline.js';
export { cycle, wishRequests } from './wishes.js';
