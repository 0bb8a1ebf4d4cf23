import type { Logger } from './logger.js';
import { meter } from './metrics.js';
import { processName, type ProcessState, type SupervisorEvent } from './supervisor.js';
import { ATTRIBUTE, EVENT, METRIC } from './telemetry-names.js';
import { serviceNameOf } from './telemetry.js';

/** The attributes naming a supervised process: its `service.name` and its name (`worker-2`). */
function whose(state: ProcessState): Record<string, string> {
  return { [ATTRIBUTE.service]: serviceNameOf(state.service), [ATTRIBUTE.process]: processName(state) };
}

/**
 * Logs what the supervisor does as events: `process.started` (a first start), `process.exited`
 * (with its code or signal and when it comes back) and `process.restarted` (a start after an exit,
 * with how many restarts so far).
 */
export function reportSupervisorEvent(logger: Logger, event: SupervisorEvent): void {
  const { pid, restarts } = event.state;
  if (event.kind === 'exited') {
    const { code, signal, restartInMs } = event;
    logger.warn(
      { event: EVENT.processExited, ...whose(event.state), code, signal, restartInMs, restarts },
      'process exited; restarting',
    );
  } else if (restarts === 0)
    logger.info({ event: EVENT.processStarted, ...whose(event.state), childPid: pid }, 'process started');
  else
    logger.info({ event: EVENT.processRestarted, ...whose(event.state), childPid: pid, restarts }, 'process restarted');
}

/**
 * The supervisor's gauges, read from its state at each collection: processes running and wanted
 * per service (`exodus.process.running`, `exodus.process.wanted`), restarts so far
 * (`exodus.process.restarts`, a counter), each by `exodus.service` (the children's `service.name`);
 * and each process it keeps (`exodus.process.pid`: its pid, 0 while it waits to be restarted), so a
 * reader can list them without guessing from who has reported lately. All are observed in one
 * callback, so one export never shows a process running beside a count that disagrees.
 */
export function observeSupervisor(processes: () => readonly ProcessState[]): void {
  const exodus = meter();
  const running = exodus.createObservableGauge(METRIC.processesRunning, {
    description: 'Processes of a service that are running',
    unit: '{process}',
  });
  const wanted = exodus.createObservableGauge(METRIC.processesWanted, {
    description: 'Processes of a service the supervisor keeps running',
    unit: '{process}',
  });
  const restarts = exodus.createObservableCounter(METRIC.processRestarts, {
    description: "Restarts of a service's processes after they exited",
    unit: '{restart}',
  });
  const pids = exodus.createObservableGauge(METRIC.processPid, {
    description: 'Each process the supervisor keeps: its OS pid while it runs, 0 while it waits to be restarted',
  });
  exodus.addBatchObservableCallback(
    (result) => {
      const byService = new Map<string, { running: number; wanted: number; restarts: number }>();
      for (const state of processes()) {
        const service = serviceNameOf(state.service);
        const counts = byService.get(service) ?? { running: 0, wanted: 0, restarts: 0 };
        const pid = state.status === 'running' ? (state.pid ?? 0) : 0;
        counts.wanted++;
        if (pid > 0) counts.running++;
        counts.restarts += state.restarts;
        byService.set(service, counts);
        result.observe(pids, pid, whose(state));
      }
      for (const [service, counts] of byService) {
        const attributes = { [ATTRIBUTE.service]: service };
        result.observe(running, counts.running, attributes);
        result.observe(wanted, counts.wanted, attributes);
        result.observe(restarts, counts.restarts, attributes);
      }
    },
    [running, wanted, restarts, pids],
  );
}
