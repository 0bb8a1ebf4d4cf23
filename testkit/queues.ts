import { exodus } from './systems.js';

export interface QueueCounts {
  readonly ready: number;
  readonly inFlight: number;
  readonly dead: number;
}

/** Queue depths as an operator sees them: `exodus status --data DIR --json`. */
export async function queueStatus(dataDir: string): Promise<Record<string, QueueCounts>> {
  const result = await exodus(['status', '--data', dataDir, '--json']);
  if (result.code !== 0) throw new Error(`exodus status failed (${result.code}): ${result.stderr}`);
  return (JSON.parse(result.stdout) as { queues: Record<string, QueueCounts> }).queues;
}
