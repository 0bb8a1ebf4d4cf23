import { describe, expect, it } from 'vitest';
import { createLogger, reportSupervisorEvent, type ProcessState } from '../../../src/runtime/index.js';
import { LogCapture } from '../../../testkit/in-process.js';

const worker = (restarts: number, pid: number | undefined): ProcessState => ({
  service: 'worker',
  replica: 2,
  pid,
  status: 'running',
  restarts,
  startedAt: undefined,
  lastExit: undefined,
  crashLoop: undefined,
  nextStartAt: undefined,
  metricsUrl: undefined,
});

describe('the supervisor reports what it does as events', () => {
  it('a first start, an exit, and the start after it', () => {
    const logs = new LogCapture();
    const logger = createLogger('supervisor', 'info', logs);
    reportSupervisorEvent(logger, { kind: 'started', state: worker(0, 101) });
    reportSupervisorEvent(logger, {
      kind: 'exited',
      state: worker(1, undefined),
      code: null,
      signal: 'SIGKILL',
      restartInMs: 500,
    });
    reportSupervisorEvent(logger, { kind: 'started', state: worker(1, 102) });
    const whose = { 'exodus.service': 'exodus-worker', 'exodus.process': 'worker-2' };
    expect(logs.lines()).toEqual([
      expect.objectContaining({ event: 'process.started', ...whose, childPid: 101, level: 30 }),
      expect.objectContaining({
        event: 'process.exited',
        ...whose,
        code: null,
        signal: 'SIGKILL',
        restartInMs: 500,
        restarts: 1,
        level: 40,
      }),
      expect.objectContaining({ event: 'process.restarted', ...whose, childPid: 102, restarts: 1, level: 30 }),
    ]);
  });

  it('a crash loop once, as an error with its exits and the wait; its end; a planned stop, never an exit', () => {
    const logs = new LogCapture();
    const logger = createLogger('supervisor', 'info', logs);
    reportSupervisorEvent(logger, { kind: 'crash-loop', state: worker(3, undefined), exits: 3, restartInMs: 2000 });
    reportSupervisorEvent(logger, { kind: 'crash-loop-ended', state: worker(5, 103) });
    reportSupervisorEvent(logger, { kind: 'stopped', state: worker(5, undefined), code: 0, signal: null });
    const whose = { 'exodus.service': 'exodus-worker', 'exodus.process': 'worker-2' };
    expect(logs.lines()).toEqual([
      expect.objectContaining({ event: 'process.crash_loop', ...whose, exits: 3, restartInMs: 2000, level: 50 }),
      expect.objectContaining({ event: 'process.crash_loop_ended', ...whose, level: 30 }),
      expect.objectContaining({ event: 'process.stopped', ...whose, code: 0, signal: null, level: 30 }),
    ]);
  });
});
