import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';

/**
 * How much one process may keep on disk: 10 MiB a file × 5 files (the current one and 4
 * rotations) = 50 MiB per process. A file is closed at the first write that takes it to
 * `maxBytes` or past, so each may hold up to one write more (a write is the whole lines of one
 * read from the child's pipe, ≤ 64 KiB, plus any line carried over from the read before).
 * At the 62 MB a minute of an injection flood that is under a minute of history per process:
 * the services' own limits (the injection summary, the refusal log) keep the ordinary rate far lower.
 */
export const LOG_FILE_DEFAULTS = { maxBytes: 10 * 1024 * 1024, maxFiles: 5 } as const;

export interface ProcessLogOptions {
  /** Size at which the current file is rotated, in bytes; default 10 MiB. */
  readonly maxBytes?: number;
  /** Files kept, the current one included (≥ 2); default 5. The oldest rotation is deleted past it. */
  readonly maxFiles?: number;
  /**
   * The file cannot be written (disk full, permissions): lines are dropped from then on, so the
   * child never blocks on a full pipe. Default: a process warning on stderr.
   */
  readonly onError?: (error: Error) => void;
}

/** One process's log file, with its rotations, fed by any number of the process's output streams. */
export interface ProcessLog {
  /**
   * A new input for one source (a child's stdout or stderr). Each input passes only whole lines on,
   * so lines from two sources never interleave mid-line and a line never straddles two files.
   */
  input(): Writable;
  /** Ends every input (writing a last unterminated line with its newline) and closes the file. */
  end(): Promise<void>;
}

/**
 * A line longer than this (1 MiB) is passed on in pieces as it arrives rather than held whole: the
 * supervisor's memory stays bounded whatever a child writes. No JSON log line comes near it.
 */
const MAX_HELD_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * Opens `path` for appending, rotated by size in logrotate's way (`path` → `path.1` → … →
 * `path.<maxFiles-1>`, the oldest deleted), by rotating-file-stream, which never splits one write
 * across two files. A file already past `maxBytes` (from an earlier run) is rotated first.
 */
export function openProcessLog(path: string, options: ProcessLogOptions = {}): ProcessLog {
  const { maxBytes = LOG_FILE_DEFAULTS.maxBytes, maxFiles = LOG_FILE_DEFAULTS.maxFiles } = options;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1)
    throw new RangeError(`log maxBytes must be a positive integer, not ${maxBytes}`);
  if (!Number.isSafeInteger(maxFiles) || maxFiles < 2)
    throw new RangeError(`log maxFiles must be an integer ≥ 2 (the current file and a rotation), not ${maxFiles}`);
  const file = createStream(path, { size: `${maxBytes}B`, rotate: maxFiles - 1 });
  const report =
    options.onError ?? ((error: Error) => process.emitWarning(`log ${path} cannot be written: ${error.message}`));
  const state: { failed: boolean } = { failed: false };
  file.on('error', (error) => {
    state.failed = true;
    report(error);
  });
  const inputs: Writable[] = [];
  return {
    input() {
      const input = new LineInput(file, state);
      inputs.push(input);
      return input;
    },
    async end() {
      for (const input of inputs) if (!input.writableEnded) input.end();
      // An input's error was already reported as the file's: here it only means it is done.
      await Promise.all(inputs.map((input) => finished(input).catch(() => undefined)));
      if (state.failed) return;
      if (!file.writableEnded) file.end();
      await finished(file).catch(() => undefined);
    },
  };
}

/** Holds the bytes after a chunk's last newline until the rest of their line arrives. */
class LineInput extends Writable {
  #held: Buffer[] = [];
  #heldBytes = 0;

  constructor(
    private readonly file: RotatingFileStream,
    private readonly state: { readonly failed: boolean },
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const end = chunk.lastIndexOf(NEWLINE) + 1;
    if (end === 0 && this.#heldBytes + chunk.length <= MAX_HELD_BYTES) {
      this.#hold(chunk);
      return callback();
    }
    const cut = end === 0 ? chunk.length : end;
    const whole = Buffer.concat([...this.#held, chunk.subarray(0, cut)]);
    this.#held = [];
    this.#heldBytes = 0;
    if (cut < chunk.length) this.#hold(chunk.subarray(cut));
    this.#pass(whole, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#heldBytes === 0) return callback();
    // The source ended mid-line (a crash): end the line, so the next process's first line starts clean.
    this.#pass(Buffer.concat([...this.#held, Buffer.of(NEWLINE)]), callback);
  }

  #hold(bytes: Buffer): void {
    this.#held.push(bytes);
    this.#heldBytes += bytes.length;
  }

  /** Waits for the file to take the bytes (backpressure to the child's pipe); dropped once the file has failed. */
  #pass(bytes: Buffer, callback: (error?: Error | null) => void): void {
    if (this.state.failed) return callback();
    this.file.write(bytes, () => callback());
  }
}

/**
 * The files of the log at `path` that exist now, oldest first: `path.N`, …, `path.1`, `path`. A
 * reader taking them in this order reads the lines in the order they were written, across
 * rotations (a rotation during the read can move lines from one name to the next).
 */
export function logFilesOf(path: string): string[] {
  const name = basename(path);
  let entries: string[];
  try {
    entries = readdirSync(dirname(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const rotations = entries
    .map((entry) => ({ entry, index: rotationIndex(name, entry) }))
    .filter((rotation): rotation is { entry: string; index: number } => rotation.index !== undefined)
    .sort((a, b) => b.index - a.index)
    .map(({ entry }) => join(dirname(path), entry));
  return entries.includes(name) ? [...rotations, path] : rotations;
}

/** `parser-1.log.3` → 3 for `parser-1.log`; undefined for any other name. */
function rotationIndex(name: string, entry: string): number | undefined {
  if (!entry.startsWith(`${name}.`)) return undefined;
  const suffix = entry.slice(name.length + 1);
  return /^[1-9]\d*$/.test(suffix) ? Number(suffix) : undefined;
}
