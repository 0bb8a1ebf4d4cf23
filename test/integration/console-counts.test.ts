import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Overview, ResourcesResponse, SlosResponse } from '../../src/services/console/api-shapes.js';
import {
  exodus,
  killService,
  postWish,
  servicePids,
  startSystem,
  waitFor,
  type RunningSystem,
} from '../../testkit/index.js';

/*
 * The console counts what the processes counted, on a real `exodus up`: every process exporting to
 * its console by OTLP every 5 s, the console's SLO figures compared with the frontend's own
 * Prometheus counts to the request. Waits are on conditions, with deadlines that a loaded two-core
 * machine meets (the console computes SLOs at most every 30 s).
 */

/** Long enough for a loaded machine: a few export intervals, the SLO cache, and a restart. */
const DEADLINE_MS = 120_000;

/** The availability SLO as the frontend's `/metrics` counts it: POST /api/wishes, good 202|429|503, the caller's mistakes left out. */
function availabilityFromMetrics(text: string): { good: number; total: number } {
  let good = 0;
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^http_server_request_duration(?:_seconds)?_count\{(.*)\} (\d+)/.exec(line);
    if (match === null) continue;
    const labels = new Map(
      [...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m): [string, string] => [m[1] ?? '', m[2] ?? '']),
    );
    if (labels.get('http_route') !== '/api/wishes' || labels.get('http_request_method') !== 'POST') continue;
    const status = labels.get('http_response_status_code') ?? '';
    const n = Number(match[2]);
    if (/^(400|401|413|415|422)$/.test(status)) continue;
    total += n;
    if (/^(202|429|503)$/.test(status)) good += n;
  }
  return { good, total };
}

describe('the console counts what the processes counted, on a running system', () => {
  let system: RunningSystem;
  let passes: string[];
  let token: string;
  const consoleApi = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${system.consoleUrl ?? ''}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };
  const frontendCounts = async () => availabilityFromMetrics(await (await fetch(`${system.url}/metrics`)).text());
  const consoleCounts = async () => {
    const availability = (await consoleApi<SlosResponse>('/api/v1/slos')).slos.find(
      (slo) => slo.name === 'wish-acceptance-availability',
    );
    return { good: availability?.good, total: availability?.total };
  };
  /** Waits until the console's availability figures are `expected`; fails naming both if they never are. */
  const consoleShows = async (expected: { good: number; total: number }) => {
    let seen: Awaited<ReturnType<typeof consoleCounts>> = { good: undefined, total: undefined };
    await waitFor(
      async () => {
        seen = await consoleCounts();
        return seen.good === expected.good && seen.total === expected.total;
      },
      DEADLINE_MS,
      'never equal',
    ).catch(() => undefined);
    expect(seen).toEqual(expected);
  };

  beforeAll(async () => {
    // Without the canary: this compares two counts of the same POSTs, read at different moments, to
    // the request; a canary's POST landing between the readings would be in one and not the other.
    system = await startSystem({ extraArgs: ['--no-canary'], replicas: 'parser=1,worker=2,tally=1' });
    token = readFileSync(join(system.dataDir, 'admin-token'), 'utf8').trim();
    // The demo evacuees `exodus up` makes on a first start: `evacuee_id,name,boarding_pass`, a pass per line.
    passes = readFileSync(join(system.dataDir, 'demo-roster.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',').at(-1) ?? '');
  });
  afterAll(async () => {
    await system.stop();
  });

  it(
    "seven wishes right after the start, then a restarted frontend's first three: the SLO's good and total equal the frontend's /metrics, to the request",
    async () => {
      const statuses = await Promise.all(
        passes
          .slice(0, 7)
          .map(
            async (pass, i) =>
              (await postWish(system.url, pass, { destination: 'mars', message: `wish ${i} right after the start` }))
                .status,
          ),
      );
      expect(statuses.every((status) => status === 202 || status === 503 || status === 429)).toBe(true);
      const first = await frontendCounts();
      expect(first.total).toBe(7);
      await consoleShows(first);

      // kill -9: the frontend's counters start again from zero in a new process (a new series, not a negative step).
      const before = killService(system.dataDir, 'frontend', 1);
      await waitFor(
        async () => {
          const now = servicePids(system.dataDir).find((p) => p.name === 'frontend-1')?.pid;
          return (
            now !== undefined &&
            now !== before &&
            (await fetch(`${system.url}/readyz`).catch(() => undefined))?.ok === true
          );
        },
        DEADLINE_MS,
        'the frontend never came back',
      );
      await Promise.all(
        passes
          .slice(7, 10)
          .map((pass, i) =>
            postWish(system.url, pass, { destination: 'europa', message: `wish ${i} after the restart` }),
          ),
      );
      const second = await frontendCounts();
      expect(second.total).toBe(3);
      await consoleShows({ good: first.good + second.good, total: first.total + second.total });
    },
    4 * DEADLINE_MS,
  );

  it(
    'lists the services that run, each with the supervisor’s processes and their pids, once each (a restarted frontend too); running and wanted agree with the instances',
    async () => {
      // `frontend-1:1234`, … as the supervisor has them now, and as the console lists them.
      const supervised = (): string[] =>
        servicePids(system.dataDir)
          .filter((p) => p.name !== 'supervisor')
          .map((p) => `${p.name}:${p.pid}`)
          .sort();
      let services: Overview['services'] = [];
      const listed = (): string[] =>
        services.flatMap((s) => s.instances.map((i) => `${i.instance}:${i.pid ?? 'none'}`)).sort();
      await waitFor(
        async () => {
          services = (await consoleApi<Overview>('/api/v1/overview')).services;
          return supervised().length > 0 && listed().join() === supervised().join();
        },
        DEADLINE_MS,
        'never listed',
      ).catch(() => undefined);
      expect(listed()).toEqual(supervised());
      expect(services.map((s) => s.name)).toEqual([
        'exodus-console',
        'exodus-frontend',
        'exodus-parser',
        'exodus-tally',
        'exodus-worker',
      ]);
      for (const service of services) {
        const kept = supervised().filter((p) => `exodus-${p.replace(/-\d+:.*$/, '')}` === service.name).length;
        expect({
          name: service.name,
          running: service.running,
          wanted: service.wanted,
          up: service.instances.filter((i) => i.up).length,
        }).toEqual({ name: service.name, running: kept, wanted: kept, up: kept });
      }
      expect(services.find((s) => s.name === 'exodus-worker')).toMatchObject({ running: 2, wanted: 2 });
    },
    2 * DEADLINE_MS,
  );

  it(
    'shows what every process uses (CPU, RSS, heap, loop delay), in the console and exodus status; two idle workers: one would do',
    async () => {
      // Every process but the supervisor and the console (which exports no telemetry of its own).
      const pipeline = servicePids(system.dataDir).filter(
        (p) => p.name !== 'supervisor' && !p.name.startsWith('console-'),
      );
      let resources: ResourcesResponse | undefined;
      await waitFor(
        async () => {
          resources = await consoleApi<ResourcesResponse>('/api/v1/resources');
          const reporting = resources.instances.filter((i) => i.cpuCores !== null && i.heapBytes !== null);
          const idleWorkers = resources.suggestions.some((s) => s.service === 'exodus-worker');
          return reporting.length === pipeline.length && idleWorkers;
        },
        DEADLINE_MS,
        'resources never complete',
      ).catch(() => undefined);
      expect(resources?.instances.map((i) => `${i.instance}:${i.pid ?? 'none'}`).sort()).toEqual(
        pipeline.map((p) => `${p.name}:${p.pid}`).sort(),
      );
      for (const process of resources?.instances ?? []) {
        expect(process.cpuCores, process.instance).toBeGreaterThanOrEqual(0);
        expect(process.rssBytes, process.instance).toBeGreaterThan(20e6);
        expect(process.heapBytes, process.instance).toBeGreaterThan(1e6);
        expect(process.eventLoopDelayP99Ms, process.instance).toBeGreaterThan(0);
      }
      const workers = resources?.suggestions.find((s) => s.service === 'exodus-worker');
      expect(workers).toMatchObject({ rule: 'fewer-would-do', processes: 2, suggested: 1 });
      expect(workers?.text).toMatch(/^worker: 2 processes used at most .* — 1 would do$/);

      const status = await exodus(['status', '--data', system.dataDir]);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/process +pid +cpu \(cores\) +rss +heap +loop p99/);
      expect(status.stdout).toMatch(/^worker-2 +\d+ +\d\.\d{3} +\d+ MB/m);
      expect(status.stdout).toContain('suggestion: worker: 2 processes used at most');
    },
    2 * DEADLINE_MS,
  );
});
