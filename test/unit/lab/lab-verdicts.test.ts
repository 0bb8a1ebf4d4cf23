import { describe, expect, it } from 'vitest';
import type { LoadSecond } from '../../../lab/experiment.js';
import { judged, type ExperimentResult } from '../../../lab/experiment.js';
import { frontendPartitionChecks } from '../../../lab/experiments.js';
import { reportOf } from '../../../lab/report.js';
import { recoverySeconds } from '../../../lab/under-load.js';

const second = (atS: number, accepted: number, refused = 0, errors = 0): LoadSecond => ({
  atS,
  accepted,
  refused,
  errors,
  backlog: undefined,
});

const clean: Omit<ExperimentResult, 'ok'> = {
  experiment: 'x',
  accepted: 10,
  refused: 0,
  lost: 0,
  onTheirWay: 0,
  deadLettered: 0,
  wrongCurrent: 0,
  tallyMatches: true,
  recoveryS: 0,
  drainedS: 1,
  checks: [],
  timeline: [{ atS: 2.4, label: 'fault: on' }],
  seconds: [second(0, 5), second(1, 0, 3), second(2, 5)],
  links: { console: 'http://ops:3001' },
  extra: {},
};

describe('the lab: recovery', () => {
  it('runs from the fault to the end of the last second with a refusal or a failure', () => {
    const seconds = [second(0, 5, 1), second(1, 5), second(2, 0, 4), second(3, 2, 0, 1), second(4, 5), second(5, 5)];
    expect(recoverySeconds(seconds, 2)).toBe(2);
  });

  it('is 0 when nothing was refused after the fault, whatever came before it', () => {
    expect(recoverySeconds([second(0, 1, 9), second(1, 5), second(2, 5)], 1.5)).toBe(0);
  });
});

describe('the lab: verdicts', () => {
  it('holds only when nothing is lost, parked, wrong or failed', () => {
    expect(judged(clean).ok).toBe(true);
    expect(judged({ ...clean, lost: 1 }).ok).toBe(false);
    expect(judged({ ...clean, deadLettered: 1 }).ok).toBe(false);
    expect(judged({ ...clean, wrongCurrent: 1 }).ok).toBe(false);
    expect(judged({ ...clean, tallyMatches: false }).ok).toBe(false);
    expect(judged({ ...clean, checks: [{ name: 'c', ok: false, detail: '' }] }).ok).toBe(false);
    // Still on their way when the audit stopped waiting is not lost: the report says how many.
    expect(judged({ ...clean, onTheirWay: 3 }).ok).toBe(true);
  });

  it('a frontend that answered 202 while cut off from the broker fails the partition check', () => {
    const from = Date.parse('2045-01-01T00:00:10Z');
    const at = (s: number): { id: string; evacueeId: string; destination: 'mars'; submittedAt: string } => ({
      id: `w${s}`,
      evacueeId: 'EV-00001',
      destination: 'mars',
      submittedAt: new Date(from + s * 1000).toISOString(),
    });
    const record = (fe1: number[], fe2: number[]) => ({
      accepted: new Map([
        ['fe1', fe1.map(at)],
        ['fe2', fe2.map(at)],
      ]),
      windows: [{ label: 'cut', from, to: from + 20_000 }],
      loads: new Map(),
    });
    expect(frontendPartitionChecks(record([-1, 21], [5])).map((c) => c.ok)).toEqual([true, true]);
    expect(frontendPartitionChecks(record([3], [5])).map((c) => c.ok)).toEqual([false, true]);
    expect(frontendPartitionChecks(record([], [])).map((c) => c.ok)).toEqual([true, false]);
  });
});

describe('the lab: report', () => {
  it('shows the verdict, the figures and each fault on its second', () => {
    const report = reportOf(judged({ ...clean, lost: 2 }));
    expect(report).toMatch(/^# x: FAILED/);
    expect(report).toContain('| 10 | 0 | 2 | 0 | 0 | 0 | yes | 0.0 s | 1.0 s |');
    expect(report).toContain('| 2 | 5 | 0 | 0 | — | fault: on |');
  });
});
