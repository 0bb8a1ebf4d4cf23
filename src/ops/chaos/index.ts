export { type Experiment, ExperimentError, type ExperimentDeps, type Journal, type JournalStep, parseExperiment, readExperiment, runExperiment, type RunningLoad } from './experiment.js';
export { describeFault, type FaultKind, type FaultSpec } from './faults.js';
export { DEFAULT_HYPOTHESIS, type Hypothesis } from './hypothesis.js';
export { readSupervisorState } from './processes.js';
export { findProxy, parseEndpoint, type ProxyRecord, runFaultProxy } from './proxy-control.js';
export { FaultProxy, type NetworkFault } from './tcp-proxy.js';
export { faultsBetween, type FaultMark, logFaultStart } from './fault-log.js';
