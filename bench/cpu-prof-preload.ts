import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * `--cpu-prof` for every process of an `exodus up`: loaded with NODE_OPTIONS=--import=<this file>
 * (Node 20 refuses `--cpu-prof` itself in NODE_OPTIONS, and `exodus up` spawns its processes
 * without the supervisor's execArgv, but they inherit its environment). It starts V8's sampling
 * profiler through the in-process inspector and writes `<pid>.cpuprofile` into
 * EXODUS_BENCH_CPU_PROF_DIR when the process exits — as `--cpu-prof` does, on a normal exit
 * (`process.exit` after SIGTERM's drain), not on SIGKILL. The main thread's inspector session
 * answers synchronously, which is what lets the profile be taken inside the 'exit' handler.
 * SIGUSR2 starts the profile afresh: the bench sends it when the load begins, so the profile is of
 * the work, not of loading modules at start-up (no exodus process uses SIGUSR2).
 */
const dir = process.env['EXODUS_BENCH_CPU_PROF_DIR'];
const intervalUs = Number(process.env['EXODUS_BENCH_CPU_PROF_INTERVAL_US'] ?? 1000);

if (dir !== undefined && dir !== '') {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  session.post('Profiler.start');
  process.on('SIGUSR2', () => {
    session.post('Profiler.stop');
    session.post('Profiler.start');
  });
  process.once('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error !== null) return;
      try {
        writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
      } catch {
        // the bench reports the process as missing a profile
      }
    });
  });
}
