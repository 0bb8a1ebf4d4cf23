import { openMessaging } from '../engines/index.js';
import { QUEUES, type QueueStats } from '../ports/index.js';
import { runningSupervisorState } from '../runtime/index.js';
import type { VerbInput } from './args.js';

/** `exodus status`: what runs (from the supervisor's state file) and how each queue stands. */
export async function statusCommand({ flags, config: settings }: VerbInput): Promise<void> {
  const config = settings();
  const supervisor = runningSupervisorState(config.dataDir);
  const messaging = await openMessaging(config.queueUrl, config);
  const queues: Record<string, QueueStats> = {};
  try {
    for (const name of Object.values(QUEUES)) queues[name] = await messaging.queue(name).stats();
  } finally {
    await messaging.close();
  }
  if (flags['json'] === true) {
    console.log(JSON.stringify({ supervisor: supervisor ?? null, queues }, null, 2));
    return;
  }
  if (supervisor === undefined) console.log(`no supervisor is running for ${config.dataDir}`);
  else {
    console.log(
      `supervisor pid ${supervisor.supervisorPid}, up since ${supervisor.startedAt}; ${Object.entries(
        supervisor.endpoints,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
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
}

export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const all = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
