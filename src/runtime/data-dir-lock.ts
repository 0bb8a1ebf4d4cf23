import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One supervisor per data dir. Two `exodus up` on one dir would share its queues and overwrite each
 * other's `supervisor.json`, so the second must refuse at once. The lock is a file created
 * exclusively (`wx`) that names its holder; a holder that is gone (a kill -9 leaves the file
 * behind) is detected and the lock taken over.
 *
 * A holder is its pid and, on Linux, the kernel's start time of that pid (`/proc/<pid>/stat`, field
 * 22): a pid reused by an unrelated process after a crash does not look like the holder.
 */
export interface LockHolder {
  readonly pid: number;
  /** Clock ticks after boot at which `pid` started; undefined where /proc is absent. */
  readonly processStart: number | undefined;
  readonly since: string;
}

export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `another exodus up (pid ${holder.pid}, since ${holder.since}) runs on ${dataDir}; stop it with Ctrl-C in its terminal or kill -TERM ${holder.pid}`,
    );
  }
}

export interface DataDirLock {
  /** Held before; its holder was gone (the lock was taken over from it). */
  readonly takenOverFrom: LockHolder | undefined;
  /** Removes the lock if it is still this process's. Idempotent. */
  release(): void;
}

const LOCK_FILE = 'supervisor.lock';

/** Takes the data dir's lock for this process, or throws `DataDirBusyError` naming the live holder. The dir must exist. */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = join(dataDir, LOCK_FILE);
  const me: LockHolder = {
    pid: process.pid,
    processStart: processStartOf(process.pid),
    since: new Date().toISOString(),
  };
  let takenOverFrom: LockHolder | undefined;
  // Two rounds: the second follows the removal of a stale lock. A lock still held after that is a
  // racing `exodus up` that won.
  for (let round = 0; round < 2; round++) {
    try {
      writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        if (readHolder(file)?.pid === me.pid) unlinkSync(file);
      };
      process.once('exit', release);
      return { takenOverFrom, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(file);
    if (holder !== undefined && isHolderAlive(holder)) throw new DataDirBusyError(dataDir, holder);
    takenOverFrom = holder;
    try {
      unlinkSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const holder = readHolder(file);
  throw new DataDirBusyError(dataDir, holder ?? { pid: 0, processStart: undefined, since: 'just now' });
}

/** The holder named in the lock file; undefined when it is gone or unreadable (half written by a crash: stale). */
function readHolder(file: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof holder.pid !== 'number') return undefined;
    return {
      pid: holder.pid,
      processStart: typeof holder.processStart === 'number' ? holder.processStart : undefined,
      since: String(holder.since),
    };
  } catch {
    return undefined;
  }
}

function isHolderAlive(holder: LockHolder): boolean {
  if (!isAlive(holder.pid)) return false;
  const start = processStartOf(holder.pid);
  return start === undefined || holder.processStart === undefined || start === holder.processStart;
}

/**
 * True while a process of that id runs (one of another user's counts: signalling it is refused, not
 * failed). A zombie — exited, not yet reaped by its parent — does not run.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return procStat(pid)?.state !== 'Z';
}

function processStartOf(pid: number): number | undefined {
  return procStat(pid)?.start;
}

/** Fields 3 (state) and 22 (start time) of `/proc/<pid>/stat`, after the parenthesised command name (which may hold spaces). */
function procStat(pid: number): { state: string; start: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isFinite(start) ? { state: fields[0] ?? '', start } : undefined;
  } catch {
    return undefined;
  }
}
