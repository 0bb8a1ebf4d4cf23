import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exodus, startSystem, tempDir, type RunningSystem } from '../../testkit/index.js';

/** Verbs that look at a system never make one, and a mistake in them is a usage error: exit 2, one line, nothing written. */
describe('read-only verbs and usage mistakes', () => {
  it('a data dir that does not exist is exit 2 with one line, and is not created', async () => {
    const missing = join(tempDir(), 'typo');
    for (const args of [
      ['status'],
      ['audit', '--ledger', join(missing, 'ledger.jsonl')],
      ['dlq', 'list', '--queue', 'intake'],
      ['chaos', 'kill', '--service', 'worker'],
    ]) {
      const result = await exodus([...args, '--data', missing]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr, args.join(' ')).toContain(`no Exodus data in ${missing}`);
      expect(existsSync(missing), `${args.join(' ')} created the data dir`).toBe(false);
    }
  });

  describe('exodus chaos against a running system', () => {
    let system: RunningSystem;
    beforeAll(async () => {
      system = await startSystem({ console: false, extraArgs: ['--no-demo'] });
    });
    afterAll(async () => {
      await system.stop();
    });

    it('an unknown service is exit 2 with one line naming the ones that run, and no journal', async () => {
      const out = join(tempDir(), 'journal');
      const result = await exodus(['chaos', 'kill', '--service', 'wroker', '--data', system.dataDir, '--out', out]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('no service "wroker"');
      expect(result.stderr).toContain('worker');
      expect(result.stdout).not.toContain('HYPOTHESIS');
      expect(existsSync(out)).toBe(false);
    });
  });

  it('exodus chaos with nothing running on the data dir is exit 2 with one line, and no journal', async () => {
    const dataDir = tempDir();
    const out = join(dataDir, 'journal');
    const result = await exodus(['chaos', 'kill', '--service', 'worker', '--data', dataDir, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`no exodus up runs on ${dataDir}`);
    expect(existsSync(out)).toBe(false);
  });
});
