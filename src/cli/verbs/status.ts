import { openMessaging } from '../../engines/index.js';
import { table } from '../../ops/text-table.js';
import { QUEUES, type QueueStats } from '../../ports/index.js';
import { runningSupervisorState } from '../../runtime/index.js';
import { defineVerb, toggle } from '../verb.js';

/** `exodus status`: what runs (from the supervisor's state file) and how each queue stands. */
export const statusVerb = defineVerb({
  path: ['status'],
  needsData: true,
  summary: 'processes, restarts, metrics addresses and each queue: ready, in flight, dead, oldest',
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
    if (options.json === true) {
      console.log(JSON.stringify({ supervisor: supervisor ?? null, queues }, null, 2));
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
            p.status,
            p.pid ?? '-',
            p.restarts,
            p.lastExit ?? '-',
            p.metricsUrl ?? '-',
          ]),
        ),
      );
    }
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
