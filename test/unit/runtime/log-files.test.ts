import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as turn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { logFilesOf, openProcessLog } from '../../../src/runtime/index.js';
import { seededRandom, tempDir } from '../../../testkit/index.js';

const dirs: string[] = [];
const freshDir = (): string => {
  const dir = tempDir('exodus-logs-');
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const MAX_LINE = 300;
const MAX_CHUNK = 700;

/** One writer's JSON lines (`{"writer":w,"seq":n,…}`), cut into chunks at random places, as a pipe delivers them. */
function chunksOf(writer: number, lines: number, random: () => number): Buffer[] {
  const text = Array.from(
    { length: lines },
    (_, seq) => `${JSON.stringify({ writer, seq, pad: 'x'.repeat(Math.floor(random() * (MAX_LINE - 60))) })}\n`,
  ).join('');
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = 1 + Math.floor(random() * MAX_CHUNK);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/** The chunks as a stream that lets the others run between its chunks, so the writers interleave. */
function source(chunks: readonly Buffer[], random: () => number): Readable {
  return Readable.from(
    (async function* () {
      for (const chunk of chunks) {
        if (random() < 0.3) await turn();
        yield chunk;
      }
    })(),
  );
}

describe('process log files', () => {
  it('rotate by size with several writers: lines whole and in order, at most maxFiles files, the total within the cap, listed oldest first', async () => {
    const path = join(freshDir(), 'parser-1.log');
    const [maxBytes, maxFiles, writers, lines] = [4096, 3, 3, 300];
    const random = seededRandom(20);
    const log = openProcessLog(path, { maxBytes, maxFiles });
    await Promise.all(
      Array.from({ length: writers }, (_, writer) =>
        pipeline(source(chunksOf(writer, lines, random), random), log.input()),
      ),
    );
    await log.end();

    const files = logFilesOf(path);
    expect(files).toEqual([`${path}.2`, `${path}.1`, path]);
    // A file closes at the first write that reaches maxBytes; a write is at most one chunk and the line carried before it.
    const sizes = files.map((file) => statSync(file).size);
    for (const size of sizes) expect(size).toBeLessThan(maxBytes + MAX_CHUNK + MAX_LINE);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBeLessThanOrEqual(
      maxFiles * (maxBytes + MAX_CHUNK + MAX_LINE),
    );

    // Each file holds whole lines only, and read oldest first, each writer's lines are the newest ones, in order, none missing.
    const seen = new Map<number, number[]>();
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      for (const line of text.slice(0, -1).split('\n')) {
        const { writer, seq } = JSON.parse(line) as { writer: number; seq: number };
        seen.set(writer, [...(seen.get(writer) ?? []), seq]);
      }
    }
    expect([...seen.keys()].sort()).toEqual([0, 1, 2]);
    for (const seqs of seen.values()) {
      const first = seqs[0] ?? 0;
      expect(seqs).toEqual(Array.from({ length: lines - first }, (_, i) => first + i));
    }
  });

  it('ends a line cut short by a crash, continues the same file on the next launch, and rotates a file already past the limit', async () => {
    const path = join(freshDir(), 'worker-1.log');
    const first = openProcessLog(path, { maxBytes: 1000, maxFiles: 2 });
    const input = first.input();
    input.write('{"a":1}\n{"half":');
    await first.end();
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n{"half":\n');

    const second = openProcessLog(path, { maxBytes: 1000, maxFiles: 2 });
    second.input().write('{"b":2}\n');
    await second.end();
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n{"half":\n{"b":2}\n');

    writeFileSync(path, `${'{"old":true}\n'.repeat(100)}`);
    const third = openProcessLog(path, { maxBytes: 1000, maxFiles: 2 });
    third.input().write('{"c":3}\n');
    await third.end();
    expect(logFilesOf(path)).toEqual([`${path}.1`, path]);
    expect(readFileSync(path, 'utf8')).toBe('{"c":3}\n');
  });

  it('lists only the log and its numbered rotations, and nothing for a log never written', () => {
    const dir = freshDir();
    const path = join(dir, 'tally-1.log');
    expect(logFilesOf(join(dir, 'absent', 'x.log'))).toEqual([]);
    expect(logFilesOf(path)).toEqual([]);
    for (const name of [
      'tally-1.log.10',
      'tally-1.log.2',
      'tally-1.log',
      'tally-1.log.bak',
      'tally-1.log.0',
      'tally-10.log',
      'tally-1.log.txt',
    ])
      writeFileSync(join(dir, name), '');
    expect(logFilesOf(path)).toEqual([`${path}.10`, `${path}.2`, path]);
  });

  it('reports a file it cannot write and drops the lines, so the child never blocks on a full pipe', async () => {
    const path = join(freshDir(), 'frontend-1.log');
    mkdirSync(path); // a directory where the file should be
    const errors: Error[] = [];
    const log = openProcessLog(path, { onError: (error) => errors.push(error) });
    const input = log.input();
    for (let i = 0; i < 100; i++) input.write(`{"i":${i}}\n`);
    await log.end();
    expect(errors).toHaveLength(1);
    expect(input.errored).toBeNull();
  });

  it('refuses limits that cannot hold a rotation', () => {
    const path = join(freshDir(), 'x.log');
    expect(() => openProcessLog(path, { maxFiles: 1 })).toThrow(/maxFiles/);
    expect(() => openProcessLog(path, { maxBytes: 0 })).toThrow(/maxBytes/);
  });
});
