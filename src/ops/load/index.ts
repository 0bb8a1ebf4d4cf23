export { type Answer, type LoadRequest, openPool, send } from './http.js';
export { LatencyRecorder, type LatencySummary } from './latency.js';
export { RateProfile, type Segment } from './profile.js';
export { readRosterFile, type RosterEntry, RosterFileError } from './roster-file.js';
export { type ActionResult, type LoadOptions, type LoadResult, LoadRun, type Mark, type Progress } from './run.js';
export {
  ACTIONS,
  type Action,
  AUDIT_METRICS,
  loadScenario,
  parseScenario,
  type Scenario,
  ScenarioError,
  segmentsOf,
  type Threshold,
  THRESHOLD_METRICS,
  type ThresholdMetric,
} from './scenario.js';
export { type TimelineData } from './timeline.js';
export { cycle, wishRequests } from './wishes.js';
export { LEDGER_FILE, REPORT_FILE, RESULTS_FILE, writeReport } from './report.js';
export { type AuditSummary, type LoadReport } from './report-shape.js';
export { type AuditFigures, judge, needsAudit, type Verdict } from './thresholds.js';
