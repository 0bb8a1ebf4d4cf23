import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoadReport } from '../../src/ops/load/index.js';
import { exodus, startFixedDoor, tempDir, type FixedDoor } from '../../testkit/index.js';

/**
 * `exodus load` as a CI job uses it: its exit code is the verdict. A door that fails every wish
 * breaks the scenario's thresholds, so the command exits 1 and says FAIL; the same scenario against a
 * door that accepts every wish exits 0. No engines: the thresholds are the run's own.
 */
describe('exodus load: the exit code is the verdict', () => {
  let opened: FixedDoor | undefined;
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });

  /** A door that answers every wish with `status`, closed after the test. */
  const door = async (status: number): Promise<string> => (opened = await startFixedDoor(status)).url;

  const run = async (target: string): Promise<{ code: number; stdout: string; report: LoadReport }> => {
    const dir = tempDir('exodus-load-exit-');
    writeFileSync(join(dir, 'roster.csv'), 'evacuee_id,name,boarding_pass\nEV-00001,A,x.y.z\n');
    writeFileSync(
      join(dir, 'scenario.yaml'),
      'name: must-not-fail\nrate: 20\nphases:\n  - { name: steady, constant: 1x, for: 1s }\nmix: { post: 1 }\nthresholds:\n  errors: { max: 0 }\n  unexpected_5xx: { max: 0 }\n',
    );
    const out = join(dir, 'out');
    const result = await exodus(
      [
        'load',
        '--target',
        target,
        '--roster',
        join(dir, 'roster.csv'),
        '--scenario',
        join(dir, 'scenario.yaml'),
        '--out',
        out,
      ],
      { EXODUS_DATA: '', EXODUS_QUEUE: '', EXODUS_STORE: '' },
    );
    return {
      code: result.code,
      stdout: result.stdout,
      report: JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as LoadReport,
    };
  };

  it('a load that breaks a threshold exits 1 and says FAIL', async () => {
    const { code, stdout, report } = await run(await door(500));
    expect(stdout).toMatch(/^FAIL: must-not-fail/m);
    expect(code).toBe(1);
    expect(report.pass).toBe(false);
    expect(report.verdicts.filter((v) => !v.pass).map((v) => v.metric)).toEqual(['errors', 'unexpected_5xx']);
  });

  it('the same load that holds every threshold exits 0 and says PASS', async () => {
    const { code, stdout, report } = await run(await door(202));
    expect(stdout).toMatch(/^PASS: must-not-fail/m);
    expect(code).toBe(0);
    expect(report.pass).toBe(true);
  });
});
