import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, describe, expect, it } from 'vitest';
import { observeSupervisor, type ProcessState } from '../../../src/runtime/index.js';

/** Reads the registered instruments when asked (what an export would carry). */
class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const reader = new OnDemandReader();
const provider = new MeterProvider({ readers: [reader] });
metrics.setGlobalMeterProvider(provider);
afterAll(() => provider.shutdown());

const state = (
  replica: number,
  status: ProcessState['status'],
  pid: number | undefined,
  restarts = 0,
): ProcessState => ({
  service: 'worker',
  replica,
  pid,
  status,
  restarts,
  startedAt: undefined,
  lastExit: undefined,
  crashLoop: undefined,
  nextStartAt: undefined,
  metricsUrl: undefined,
});

/** Each point of `name` in the next collection: its value by its attributes. */
async function collected(name: string): Promise<{ attributes: Record<string, unknown>; value: unknown }[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints.map(({ attributes, value }) => ({ attributes, value })));
}

describe('what the console reads of the supervisor: each process it keeps, with its pid', () => {
  it('reports every process once per collection, its pid as the value (0 while it waits to restart), across restarts, and counts running from the same states', async () => {
    let processes = [state(1, 'running', 101), state(2, 'running', 102)];
    observeSupervisor(() => processes);
    const worker = (replica: number) => ({ 'exodus.service': 'exodus-worker', 'exodus.process': `worker-${replica}` });

    expect(await collected('exodus.process.pid')).toEqual([
      { attributes: worker(1), value: 101 },
      { attributes: worker(2), value: 102 },
    ]);
    processes = [state(1, 'restarting', undefined, 1), state(2, 'running', 102)];
    expect(await collected('exodus.process.pid')).toEqual([
      { attributes: worker(1), value: 0 },
      { attributes: worker(2), value: 102 },
    ]);
    // worker-1 in a crash loop, waiting for its next try; worker-2 in none.
    processes = [
      {
        ...state(1, 'restarting', undefined, 3),
        crashLoop: { since: '2045-01-01T00:00:00.000Z', exits: 3 },
        nextStartAt: '2045-01-01T00:00:04.000Z',
      },
      state(2, 'running', 102),
    ];
    expect(await collected('exodus.process.crash_loop')).toEqual([
      { attributes: worker(1), value: 3 },
      { attributes: worker(2), value: 0 },
    ]);
    expect(await collected('exodus.process.next_start')).toEqual([
      { attributes: worker(1), value: Date.parse('2045-01-01T00:00:04.000Z') / 1000 },
      { attributes: worker(2), value: 0 },
    ]);
    processes = [state(1, 'restarting', undefined, 1), state(2, 'running', 102)];
    expect(await collected('exodus.process.running')).toEqual([
      { attributes: { 'exodus.service': 'exodus-worker' }, value: 1 },
    ]);
    // Back under a new pid: still one series per process, never one more per restart.
    processes = [state(1, 'running', 103, 1), state(2, 'running', 102)];
    expect(await collected('exodus.process.pid')).toEqual([
      { attributes: worker(1), value: 103 },
      { attributes: worker(2), value: 102 },
    ]);
    expect(await collected('exodus.process.wanted')).toEqual([
      { attributes: { 'exodus.service': 'exodus-worker' }, value: 2 },
    ]);
  });
});
