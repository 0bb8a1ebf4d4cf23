import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { BIN, freePort, generateRoster, ONE_ADDRESS_LOAD_ENV, servicePids, waitFor } from '../testkit/index.js';
import { CpuWindow } from './cpu.js';
import { runOpen } from './load-driver.js';
import { exitWhenDone, removeTempDir, stopChild, tempDir } from './processes.js';

/**
 * What the ops console costs per OTLP export it receives, for two builds in the same run: `exodus up`
 * of each (this checkout's, and `--baseline <checkout>`'s bin/exodus.js), a light open-model load
 * (20 wishes/s), and over the measured window the console process's CPU (from /proc) divided by the
 * OTLP requests it answered (its own /metrics: `http_server_request_duration_count` of the `/v1/…`
 * routes). Builds alternate (baseline, current, baseline, current) so a drift of the machine hits
 * both. Usage: `npm run build && node dist/bench/console-cost.js --baseline /tmp/old-checkout`.
 */

const WARMUP_MS = 15_000;
const WINDOW_MS = 60_000;
const RATE_PER_SEC = 20;
const ROUNDS = 2;

interface Sample {
  readonly build: string;
  readonly exports: number;
  readonly consoleCpuMs: number;
  readonly usPerExport: number;
}

async function otlpRequests(consoleUrl: string): Promise<number> {
  const text = await (await fetch(`${consoleUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith('http_server_request_duration_count') && /http_route="\/v1\//.test(line))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

async function measure(build: string, bin: string): Promise<Sample> {
  const dataDir = tempDir('exodus-console-cost-');
  const [port, consolePort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, 'up', '--data', dataDir, '--port', String(port), '--console-port', String(consolePort)],
    { stdio: 'ignore', env: { ...process.env, ...ONE_ADDRESS_LOAD_ENV } },
  );
  const url = `http://127.0.0.1:${port}`;
  const consoleUrl = `http://127.0.0.1:${consolePort}`;
  try {
    await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true, 60_000, 'not ready');
    await waitFor(() => servicePids(dataDir).length >= 6, 60_000, 'not every process started');
    const consolePid = servicePids(dataDir).find((p) => p.name.startsWith('console'))?.pid;
    if (consolePid === undefined) throw new Error(`${build}: no console process in ${dataDir}/supervisor.json`);
    const roster = await generateRoster(dataDir, 2_000);
    const load = runOpen(url, roster, {
      ratePerSec: RATE_PER_SEC,
      warmupMs: WARMUP_MS,
      durationMs: WINDOW_MS,
      connections: 8,
      maxOutstanding: 200,
      requestTimeoutMs: 10_000,
    });
    await sleep(WARMUP_MS);
    const before = await otlpRequests(consoleUrl);
    const cpu = new CpuWindow([{ name: 'console', pid: consolePid }]);
    await sleep(WINDOW_MS);
    const report = cpu.stop();
    const exports = (await otlpRequests(consoleUrl)) - before;
    await load;
    const consoleCpuMs = ((report.processes[0]?.cpuPercent ?? 0) / 100) * report.windowMs;
    return { build, exports, consoleCpuMs, usPerExport: (consoleCpuMs * 1000) / Math.max(1, exports) };
  } finally {
    await stopChild(child, 30_000);
    removeTempDir(dataDir);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { baseline: { type: 'string' } }, strict: true });
  if (values.baseline === undefined) throw new Error('--baseline <checkout of the older build> is required');
  const builds = [
    { build: 'baseline', bin: resolve(values.baseline, 'bin', 'exodus.js') },
    { build: 'current', bin: BIN },
  ];
  readFileSync(builds[0]?.bin ?? ''); // fails now, with its path, if the baseline has no bin/exodus.js
  const samples: Sample[] = [];
  for (let round = 0; round < ROUNDS; round++)
    for (const { build, bin } of builds) {
      const sample = await measure(build, bin);
      console.log(
        `${build}: ${sample.exports} exports, console ${sample.consoleCpuMs.toFixed(0)} ms CPU, ${sample.usPerExport.toFixed(0)} µs per export`,
      );
      samples.push(sample);
    }
  const mean = (build: string): number => {
    const of = samples.filter((s) => s.build === build);
    return (
      of.reduce((sum, s) => sum + s.consoleCpuMs, 0) /
      Math.max(
        1,
        of.reduce((sum, s) => sum + s.exports, 0),
      )
    );
  };
  const [baseline, current] = [mean('baseline') * 1000, mean('current') * 1000];
  console.log(
    `console CPU per OTLP export: baseline ${baseline.toFixed(0)} µs, current ${current.toFixed(0)} µs (${(current / baseline).toFixed(2)}×)`,
  );
  return 0;
}

exitWhenDone(main());
