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
 * (with its code or signal and when it comes back), `process.restarted` (a start after an exit,
 * with how many restarts so far), `process.crash_loop` once when exits in a row make a crash loop
 * (and `process.crash_loop_ended` when it stays up), and `process.stopped` for a planned stop.
 */
export function reportSupervisorEvent(logger: Logger, event: SupervisorEvent): void {
  const { pid, restarts } = event.state;
  switch (event.kind) {
    case 'exited': {
      const { code, signal, restartInMs } = event;
      logger.warn(
        { event: EVENT.processExited, ...whose(event.state), code, signal, restartInMs, restarts },
        'process exited; restarting',
      );
      return;
    }
    case 'crash-loop':
      logger.error(
        { event: EVENT.processCrashLoop, ...whose(event.state), exits: event.exits, restartInMs: event.restartInMs },
        `crash loop: ${event.exits} exits in a row, each soon after its start; backing off`,
      );
      return;
    case 'crash-loop-ended':
      logger.info(
        { event: EVENT.processCrashLoopEnded, ...whose(event.state) },
        'crash loop over: the process stays up',
      );
      return;
    case 'stopped':
      logger.info(
        { event: EVENT.processStopped, ...whose(event.state), code: event.code, signal: event.signal },
        'process stopped, as told',
      );
      return;
    case 'started':
      if (restarts === 0)
        logger.info({ event: EVENT.processStarted, ...whose(event.state), childPid: pid }, 'process started');
      else
        logger.info(
          { event: EVENT.processRestarted, ...whose(event.state), childPid: pid, restarts },
          'process restarted',
        );
  }
}

/**
 * The supervisor's gauges, read from its state at each collection: processes running and wanted
 * per service (`exodus.process.running`, `exodus.process.wanted`), restarts so far
 * (`exodus.process.restarts`, a counter), each by `exodus.service` (the children's `service.name`);
 * and each process it keeps (`exodus.process.pid`: its pid, 0 while it waits to be restarted), so a
 * reader can list them without guessing from who has reported lately), whether it is in a crash
 * loop (`exodus.process.crash_loop`) and when it is tried next (`exodus.process.next_start`). All are observed in one
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
  const crashLoops = exodus.createObservableGauge(METRIC.processCrashLoop, {
    description: 'Each process the supervisor keeps: exits in a row of its crash loop, 0 when in none',
    unit: '{exit}',
  });
  const nextStarts = exodus.createObservableGauge(METRIC.processNextStart, {
    description: 'Each process the supervisor keeps: when it is started again (unix time) while it waits; 0 otherwise',
    unit: 's',
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
        result.observe(crashLoops, state.crashLoop?.exits ?? 0, whose(state));
        const nextStart = state.nextStartAt === undefined ? 0 : Date.parse(state.nextStartAt) / 1000;
        result.observe(nextStarts, pid > 0 ? 0 : nextStart, whose(state));
      }
      for (const [service, counts] of byService) {
        const attributes = { [ATTRIBUTE.service]: service };
        result.observe(running, counts.running, attributes);
        result.observe(wanted, counts.wanted, attributes);
        result.observe(restarts, counts.restarts, attributes);
      }
    },
    [running, wanted, restarts, pids, crashLoops, nextStarts],
  );
}
