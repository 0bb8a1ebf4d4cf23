import { closeSync, fsyncSync, linkSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Creates `file` holding `content`, exclusively and durably: it appears whole or not at all, even
 * across a power cut. `writeFileSync(file, …, { flag: 'wx' })` alone makes the name at once and
 * leaves the bytes in the page cache: a cut in the next seconds leaves an empty file under that
 * name (found by the lab's power-cut experiment: an empty pass secret). So the content is written
 * and fsynced under a private name first, then linked into place (which, like `wx`, fails with
 * EEXIST when another process won the race), and the directory is fsynced so the name stays.
 * Returns false when the file already existed (the caller reads the winner's).
 */
export function createFileDurably(file: string, content: string, mode: number): boolean {
  const draft = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(draft, 'wx', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(draft);
  }
  syncDirectory(dirname(file));
  return true;
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
