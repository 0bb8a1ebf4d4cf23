export {
  ExperimentError,
  parseExperiment,
  readExperiment,
  readExperimentNamed,
  runExperiment,
  type Experiment,
  type ExperimentDeps,
  type Journal,
  type JournalStep,
  type RunningLoad,
} from './experiment.js';
export { faultsBetween, logFaultStart, type FaultMark } from './fault-log.js';
export { describeFault, type FaultKind, type FaultSpec } from './faults.js';
export { DEFAULT_HYPOTHESIS, type Hypothesis } from './hypothesis.js';
export { describeServices, hostOf, killProcess, readSupervisorState, type ServiceProcess } from './processes.js';
export { findProxy, parseEndpoint, runFaultProxy, type ProxyRecord } from './proxy-control.js';
export { FaultProxy, type Endpoint, type NetworkFault } from './tcp-proxy.js';
