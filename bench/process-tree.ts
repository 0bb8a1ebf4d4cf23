import { readdirSync, readFileSync } from 'node:fs';
import { readChildren } from '../testkit/index.js';
import type { Named } from './cpu.js';

/**
 * Every process of an `exodus up`, found as the descendants of its supervisor in /proc (Linux)
 * rather than from a list of names: how many processes `up` runs, and what they are called, changes
 * with its defaults (consumers merged into one process, the console on or off), and a measurement
 * that missed one would under-report. Names come from the supervisor's state file where it knows
 * the pid (`frontend-1`), else from the command line (`serve tally`), else `pid <n>`.
 */
export function exodusProcesses(supervisorPid: number, dataDir: string): Named[] {
  const known = new Map<number, string>(
    readChildren(dataDir).flatMap((p) => (p.pid === undefined ? [] : [[p.pid, `${p.service}-${p.replica}`]])),
  );
  return [supervisorPid, ...descendantsOf(supervisorPid)].map((pid) => ({
    pid,
    name: pid === supervisorPid ? 'supervisor' : (known.get(pid) ?? commandName(pid) ?? `pid ${pid}`),
  }));
}

/** Pids whose parent chain leads to `root` (not `root` itself), from /proc/<pid>/stat's ppid. */
export function descendantsOf(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const ppid = parentPid(pid);
    if (ppid !== undefined) parentOf.set(pid, ppid);
  }
  const found: number[] = [];
  const wanted = new Set([root]);
  // Parents may be listed after their children: repeat until no new descendant turns up.
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if (wanted.has(ppid) && !wanted.has(pid)) {
        wanted.add(pid);
        found.push(pid);
        grew = true;
      }
    }
  }
  return found;
}

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name (which may hold spaces and parentheses): state, then ppid.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined; // gone between the listing and the read
  }
}

/** `serve <what>` from an exodus child's command line, e.g. `serve worker`. */
function commandName(pid: number): string | undefined {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const serve = args.indexOf('serve');
    return serve >= 0 && args[serve + 1] !== undefined ? `serve ${args[serve + 1]}` : undefined;
  } catch {
    return undefined;
  }
}
