import { describe, expect, it } from 'vitest';
import type { StoredInstance } from '../../../src/ports/index.js';
import { deployEvent, DeployWatch, MEMORY_MS } from '../../../src/services/console/deploys.js';

const T0 = Date.UTC(2045, 0, 1, 12);

const heard = (instance: string, version: string, atMs: number, service = 'exodus-worker'): StoredInstance => ({
  service,
  instance,
  version,
  host: 'host-a',
  pod: null,
  node: null,
  firstSeenMs: atMs,
  lastSeenMs: atMs,
});

describe('a deploy: a version its service has not run lately, while it ran another', () => {
  it("is not a service's first version, nor the same version again from another process", () => {
    const watch = new DeployWatch();
    expect(watch.observe([heard('worker-1', '1.0.0', T0)])).toEqual([]);
    expect(watch.observe([heard('worker-2', '1.0.0', T0 + 1000)])).toEqual([]);
    // Another service's first version is its own start, not the worker's deploy.
    expect(watch.observe([heard('tally-1', '2.0.0', T0 + 1000, 'exodus-tally')])).toEqual([]);
  });

  it('is told once, from the version heard last to the new one, when the first process runs it', () => {
    const watch = new DeployWatch([heard('worker-1', '1.0.0', T0), heard('worker-2', '1.1.0', T0 + 500)]);
    expect(watch.observe([heard('worker-canary', '2.0.0', T0 + 2000)])).toEqual([
      { service: 'exodus-worker', instance: 'worker-canary', from: '1.1.0', to: '2.0.0', atMs: T0 + 2000 },
    ]);
    // The rest of the rollout, the canary's next export, a console restarted on the same store: no more.
    expect(watch.observe([heard('worker-1', '2.0.0', T0 + 3000), heard('worker-canary', '2.0.0', T0 + 7000)])).toEqual(
      [],
    );
    const restarted = new DeployWatch([heard('worker-1', '1.0.0', T0), heard('worker-canary', '2.0.0', T0 + 2000)]);
    expect(restarted.observe([heard('worker-2', '2.0.0', T0 + 9000)])).toEqual([]);
  });

  it(`is a rollback too: a version not heard for ${MEMORY_MS / 60_000} minutes coming back; within that, a canary stopped and started is none`, () => {
    const watch = new DeployWatch([heard('worker-1', '1.0.0', T0), heard('worker-1', '2.0.0', T0 + 1000)]);
    // 1.0.0 was heard at most an hour ago: a canary of it stopped and started again is no deploy.
    expect(watch.observe([heard('worker-2', '1.0.0', T0 + MEMORY_MS)])).toEqual([]);
    const fresh = new DeployWatch([heard('worker-1', '2.0.0', T0)]);
    // Nothing heard within the hour: a start after a long silence, not a deploy from a version long gone.
    expect(fresh.observe([heard('worker-1', '1.0.0', T0 + MEMORY_MS + 1)])).toEqual([]);
    // Back to a version unheard for over an hour, while another ran: a deploy (a rollback).
    const rollback = new DeployWatch([heard('worker-1', '1.0.0', T0), heard('worker-1', '2.0.0', T0 + MEMORY_MS)]);
    expect(rollback.observe([heard('worker-1', '1.0.0', T0 + MEMORY_MS + 60_000)])).toEqual([
      { service: 'exodus-worker', instance: 'worker-1', from: '2.0.0', to: '1.0.0', atMs: T0 + MEMORY_MS + 60_000 },
    ]);
  });

  it('leaves out processes that give no version, and orders what one request brings by first report', () => {
    const watch = new DeployWatch([heard('worker-1', '1.0.0', T0)]);
    expect(watch.observe([heard('worker-9', '', T0 + 1000)])).toEqual([]);
    expect(
      watch
        .observe([heard('worker-3', '3.0.0', T0 + 3000), heard('worker-2', '2.0.0', T0 + 2000)])
        .map((d) => [d.from, d.to]),
    ).toEqual([
      ['1.0.0', '2.0.0'],
      ['2.0.0', '3.0.0'],
    ]);
  });

  it('is stored as a service.deployed event of the service, with from and to', () => {
    const event = deployEvent({ service: 'exodus-worker', instance: 'worker-canary', from: '1', to: '2', atMs: T0 });
    expect(event).toMatchObject({
      timeMs: T0,
      service: 'exodus-worker',
      instance: 'worker-canary',
      eventName: 'service.deployed',
      attributes: {
        'event.name': 'service.deployed',
        'exodus.service': 'exodus-worker',
        'exodus.process': 'worker-canary',
        from: '1',
        to: '2',
      },
    });
  });
});
