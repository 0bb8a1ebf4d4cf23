import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../../runtime/index.js';
import { reachable } from '../reachable.js';

/** A running nats-server, as its process table entry shows it. */
export interface NatsServerProcess {
  readonly pid: number;
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly port: number;
}

/**
 * The nats-server on this machine that listens on `port`: found in /proc by its command line (`-p`,
 * `--port`, or `port:` in its `-c` config file; 4222 by default). Restarting a broker needs its
 * command line, so only a server on this machine, readable by this user, can be restarted.
 */
export function findNatsServer(port: number): NatsServerProcess | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    let cwd: string;
    try {
      argv = readFileSync(join('/proc', entry, 'cmdline'), 'utf8')
        .split('\0')
        .filter((arg) => arg !== '');
      if (basename(argv[0] ?? '') !== 'nats-server') continue;
      cwd = readlinkSync(join('/proc', entry, 'cwd'));
    } catch {
      continue; // gone, or not ours to read
    }
    if (portOf(argv, cwd) === port) return { pid: Number(entry), argv, cwd, port };
  }
  return undefined;
}

function portOf(argv: readonly string[], cwd: string): number {
  const flag = (names: readonly string[]): string | undefined => {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] ?? '';
      for (const name of names) {
        if (arg === name) return argv[i + 1];
        if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
      }
    }
    return undefined;
  };
  const given = flag(['-p', '--port']);
  if (given !== undefined) return Number(given);
  const config = flag(['-c', '--config']);
  if (config !== undefined) {
    try {
      const match = /^\s*port\s*[:=]\s*(\d+)/m.exec(
        readFileSync(config.startsWith('/') ? config : join(cwd, config), 'utf8'),
      );
      if (match !== null) return Number(match[1]);
    } catch {
      // unreadable config: the default below
    }
  }
  return 4222;
}

/**
 * Stops a nats-server and starts it again with the same command line, as an operator would:
 * lame-duck mode (SIGUSR2: clients are told to leave before JetStream stops) or, `abrupt`, SIGKILL.
 * `downMs` is how long it stays down. The new server is detached (it outlives this process) and logs
 * to `logFile`; resolves with its pid once it takes connections again.
 */
export async function restartNatsServer(
  server: NatsServerProcess,
  options: { abrupt: boolean; downMs: number; logFile: string; timeoutMs: number },
): Promise<number> {
  process.kill(server.pid, options.abrupt ? 'SIGKILL' : 'SIGUSR2');
  const deadline = Date.now() + options.timeoutMs;
  while (isAlive(server.pid)) {
    if (Date.now() > deadline)
      throw new Error(
        `nats-server ${server.pid} still runs ${options.timeoutMs / 1000} s after ${options.abrupt ? 'SIGKILL' : 'lame-duck mode'}`,
      );
    await sleep(100);
  }
  await sleep(options.downMs);
  return startNatsServer(server, options.logFile, deadline);
}

/** Starts a server with a stopped one's command line, unless something (a service manager) already brought one back. */
export async function startNatsServer(
  server: NatsServerProcess,
  logFile: string,
  deadline = Date.now() + 30_000,
): Promise<number> {
  const already = findNatsServer(server.port);
  if (already !== undefined) return already.pid;
  const log = openSync(logFile, 'a');
  const [command = 'nats-server', ...args] = server.argv;
  const child = spawn(command, args, { cwd: server.cwd, detached: true, stdio: ['ignore', log, log] });
  child.unref();
  closeSync(log);
  while (!(await reachable('127.0.0.1', server.port))) {
    if (child.exitCode !== null) throw new Error(`nats-server exited ${child.exitCode} on restart; see ${logFile}`);
    if (Date.now() > deadline)
      throw new Error(`nats-server did not take connections on port ${server.port} after its restart; see ${logFile}`);
    await sleep(100);
  }
  return child.pid ?? 0;
}
