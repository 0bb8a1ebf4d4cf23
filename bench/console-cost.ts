import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
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
 * OTLP requests it received. The processes export through a counting pass-through in this process
 * (the user's-own-endpoint variables, with the settings `exodus up` gives its console), so both builds
 * are counted the same way. Builds alternate (baseline, current, baseline, current) so a drift of the
 * machine hits both. Usage: `npm run build && node dist/bench/console-cost.js --baseline <checkout>`.
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

/** Forwards every request to the console and counts them: what each build's console received. */
async function countingPassThrough(
  consolePort: number,
): Promise<{ port: number; count: () => number; close: () => void }> {
  let count = 0;
  const server = createServer((request, response) => {
    count++;
    const upstream = httpRequest(
      { host: '127.0.0.1', port: consolePort, path: request.url, method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.writeHead(502).end());
    request.pipe(upstream);
  });
  const port = await freePort();
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  return { port, count: () => count, close: () => server.close() };
}

async function measure(build: string, bin: string): Promise<Sample> {
  const dataDir = tempDir('exodus-console-cost-');
  const [port, consolePort] = [await freePort(), await freePort()];
  const exports = await countingPassThrough(consolePort);
  const token = randomBytes(24).toString('hex');
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, 'up', '--data', dataDir, '--port', String(port), '--console-port', String(consolePort)],
    {
      stdio: 'ignore',
      env: {
        ...process.env,
        ...ONE_ADDRESS_LOAD_ENV,
        EXODUS_ADMIN_TOKEN: token,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${exports.port}`,
        OTEL_EXPORTER_OTLP_HEADERS: `api-key=${token}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_METRIC_EXPORT_INTERVAL: '5000',
        OTEL_BSP_SCHEDULE_DELAY: '1000',
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
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
    const before = exports.count();
    const cpu = new CpuWindow([{ name: 'console', pid: consolePid }]);
    await sleep(WINDOW_MS);
    const report = cpu.stop();
    const received = exports.count() - before;
    await load;
    const consoleCpuMs = ((report.processes[0]?.cpuPercent ?? 0) / 100) * report.windowMs;
    return { build, exports: received, consoleCpuMs, usPerExport: (consoleCpuMs * 1000) / Math.max(1, received) };
  } finally {
    await stopChild(child, 30_000);
    exports.close();
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
