import { spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logFilesOf, openProcessLog } from '../../src/runtime/index.js';
import { tempDir } from '../../testkit/index.js';

/** Writes `lines` JSON lines to stdout and to stderr, alternating, in writes of many lines (a pipe then splits them anywhere). */
const CHILD = `
const lines = Number(process.argv[1]);
const batches = { out: '', err: '' };
const write = (name) => { (name === 'out' ? process.stdout : process.stderr).write(batches[name]); batches[name] = ''; };
for (let seq = 0; seq < lines; seq++) {
  for (const name of ['out', 'err']) {
    batches[name] += JSON.stringify({ stream: name, seq, pad: 'y'.repeat(seq % 400) }) + '\\n';
    if (batches[name].length > 100000) write(name);
  }
}
write('out');
write('err');
`;

describe('a child process logging through the supervisor’s pipes', () => {
  const dir = tempDir('exodus-child-log-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stdout and stderr into one rotating log: every line whole, each stream in order, the total within the cap', async () => {
    const path = join(dir, 'parser-1.log');
    const [maxBytes, maxFiles, lines] = [256 * 1024, 4, 20_000];
    const log = openProcessLog(path, { maxBytes, maxFiles });
    // As Supervisor.launch wires it.
    const child = spawn(process.execPath, ['-e', CHILD, String(lines)], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log.input());
    child.stderr.pipe(log.input());
    await new Promise<void>((resolve) => child.once('close', () => void log.end().then(resolve)));

    const files = logFilesOf(path);
    expect(files).toHaveLength(maxFiles);
    const total = files.reduce((sum, file) => sum + statSync(file).size, 0);
    // A write is at most one 64 KiB read from the pipe plus the line carried from the read before.
    expect(total).toBeLessThanOrEqual(maxFiles * (maxBytes + 64 * 1024 + 1024));
    const seen: Record<string, number[]> = { out: [], err: [] };
    for (const file of files) {
      for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
        const { stream, seq } = JSON.parse(line) as { stream: string; seq: number };
        seen[stream]?.push(seq);
      }
    }
    for (const seqs of Object.values(seen)) {
      const first = seqs[0] ?? lines;
      // The newest lines of each stream, none missing, none reordered.
      expect(seqs).toEqual(Array.from({ length: lines - first }, (_, i) => first + i));
    }
    expect(seen['err']?.at(-1)).toBe(lines - 1);
  });
});
