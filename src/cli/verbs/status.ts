import { openMessaging } from '../../engines/index.js';
import { table } from '../../ops/text-table.js';
import { QUEUES, type QueueStats } from '../../ports/index.js';
import { adminToken, runningSupervisorState } from '../../runtime/index.js';
import type { ResourcesResponse } from '../../services/console/api-shapes.js';
import { defineVerb, toggle } from '../verb.js';

/**
 * `exodus status`: what runs (from the supervisor's state file), how each queue stands, and, when
 * the console runs, what each process uses and the right-sizing suggestions (from the console).
 */
export const statusVerb = defineVerb({
  path: ['status'],
  needsData: true,
  summary: 'processes, restarts, metrics addresses, each queue (ready, in flight, dead, oldest), and resources',
  options: { json: toggle('--json', 'print JSON instead of tables') },
  settings: 'engines',
  examples: ['exodus status --data .exodus'],
  run: async ({ options, config: settings }) => {
    const config = settings();
    const supervisor = runningSupervisorState(config.dataDir);
    const messaging = await openMessaging(config.queueUrl, config);
    const queues: Record<string, QueueStats> = {};
    try {
      for (const name of Object.values(QUEUES)) queues[name] = await messaging.queue(name).stats();
    } finally {
      await messaging.close();
    }
    const consoleUrl = supervisor?.endpoints['console'];
    const resources =
      consoleUrl === undefined ? undefined : await resourcesFrom(consoleUrl, adminToken(config.dataDir));
    if (options.json === true) {
      console.log(JSON.stringify({ supervisor: supervisor ?? null, queues, resources: resources ?? null }, null, 2));
      return;
    }
    if (supervisor === undefined) console.log(`no supervisor is running for ${config.dataDir}`);
    else {
      const endpoints = Object.entries(supervisor.endpoints).map(([k, v]) => `${k} ${v}`);
      console.log(
        `supervisor pid ${supervisor.supervisorPid}, up since ${supervisor.startedAt}; ${endpoints.join(', ')}`,
      );
      console.log(
        table(
          ['service', 'replica', 'status', 'pid', 'restarts', 'last exit', 'metrics'],
          supervisor.processes.map((p) => [
            p.service,
            p.replica,
            p.crashLoop === undefined ? p.status : `${p.status}, crash loop (${p.crashLoop.exits} exits)`,
            p.pid ?? '-',
            p.restarts,
            p.lastExit ?? '-',
            p.metricsUrl ?? '-',
          ]),
        ),
      );
    }
    if (resources !== undefined) console.log(resourcesTable(resources));
    console.log(
      table(
        ['queue', 'ready', 'in flight', 'delayed', 'dead', 'oldest ready'],
        Object.entries(queues).map(([name, s]) => [
          name,
          s.ready,
          s.inFlight,
          s.delayed,
          s.dead,
          `${(s.oldestReadyAgeMs / 1000).toFixed(1)} s`,
        ]),
      ),
    );
  },
});

/** The console's resources, or undefined when it does not answer within a moment (status must not hang on it). */
async function resourcesFrom(consoleUrl: string, token: string): Promise<ResourcesResponse | undefined> {
  try {
    const response = await fetch(`${consoleUrl}/api/v1/resources`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(3000),
    });
    return response.ok ? ((await response.json()) as ResourcesResponse) : undefined;
  } catch {
    return undefined;
  }
}

function resourcesTable(resources: ResourcesResponse): string {
  const megabytes = (bytes: number | null): string => (bytes === null ? '-' : `${(bytes / 1e6).toFixed(0)} MB`);
  return [
    table(
      ['process', 'pid', 'cpu (cores)', 'rss', 'heap', 'loop p99'],
      resources.instances.map((i) => [
        i.instance,
        i.pid ?? '-',
        i.cpuCores === null ? '-' : i.cpuCores.toFixed(3),
        megabytes(i.rssBytes),
        megabytes(i.heapBytes),
        i.eventLoopDelayP99Ms === null ? '-' : `${i.eventLoopDelayP99Ms.toFixed(1)} ms`,
      ]),
    ),
    ...resources.suggestions.map((s) => `suggestion: ${s.text}`),
  ].join('\n');
}
