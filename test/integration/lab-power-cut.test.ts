import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { lossyFsSupport } from '../../lab/power-cut/lossy-fs.js';
import { powerCutExperiment } from '../../lab/power-cut/power-cut.js';
import { skipUnless, tempDir } from '../../testkit/index.js';

const support = lossyFsSupport();
const skip = skipUnless(
  !('missing' in support),
  `the power-cut experiment needs the lossy FUSE layer: ${'missing' in support ? support.missing : ''}`,
);

describe.skipIf(skip)('the power-cut experiment (lab)', () => {
  const outDir = tempDir('exodus-power-cut-out-');
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it(
    'loses no 202 over three power cuts under load, and every database stays intact',
    { timeout: 300_000 },
    async () => {
      const lines: string[] = [];
      const result = await powerCutExperiment({ cuts: 3 }).run({
        outDir,
        rate: 100,
        durationMs: 15_000,
        seed: 7,
        log: (line) => lines.push(line),
      });
      const summary = JSON.stringify({ ...result, seconds: undefined }, null, 2) + '\n' + lines.join('\n');
      expect(result.extra['cuts'], summary).toBe(3);
      expect(result.accepted, summary).toBeGreaterThan(0);
      expect(result.lost, summary).toBe(0);
      expect(result.extra['integrityFailures'], summary).toBe(0);
      expect(
        result.checks.filter((check) => !check.ok),
        summary,
      ).toEqual([]);
      expect(result.ok, summary).toBe(true);
    },
  );
});
