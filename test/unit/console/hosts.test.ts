import { describe, expect, it } from 'vitest';
import type { InstanceSummary, ServiceSummary } from '../../../src/services/console/api-shapes.js';
import { hostsOf, UNKNOWN_HOST } from '../../../src/services/console/hosts.js';

const instance = (
  name: string,
  host: string | null,
  up: boolean,
  version: string | null = '1.0.0',
): InstanceSummary => ({
  instance: name,
  pid: up ? 100 : null,
  lastSeen: null,
  up,
  crashLoop: null,
  version,
  host,
  pod: null,
  node: null,
});
const service = (name: string, instances: InstanceSummary[]): ServiceSummary => ({
  name,
  running: instances.filter((i) => i.up).length,
  wanted: instances.length,
  restarts: 0,
  waitingFor: [],
  ratePerSecond: 0,
  errorRate: 0,
  refusedRate: 0,
  latencyMs: null,
  instances,
});

describe("the overview's hosts: processes by host, and a host with none running", () => {
  it('counts running and wanted per host across services, hosts in order (numbers as numbers)', () => {
    const hosts = hostsOf([
      service('exodus-frontend', [instance('frontend-1', 'host-10', true)]),
      service('exodus-worker', [
        instance('worker-1', 'host-2', true),
        instance('worker-2', 'host-10', false),
        instance('worker-3', 'host-2', false, null),
      ]),
    ]);
    expect(hosts.map((h) => [h.host, h.running, h.wanted, h.allStopped])).toEqual([
      ['host-2', 1, 2, false],
      ['host-10', 1, 2, false],
    ]);
    expect(hosts[0]?.processes).toEqual([
      { service: 'exodus-worker', instance: 'worker-1', up: true, version: '1.0.0' },
      { service: 'exodus-worker', instance: 'worker-3', up: false, version: null },
    ]);
  });

  it('says "running processes = 0" of a host whose processes all stopped, and of no host that runs one', () => {
    const hosts = hostsOf([
      service('exodus-parser', [instance('parser-1', 'host-b', false)]),
      service('exodus-worker', [instance('worker-1', 'host-b', false), instance('worker-2', 'host-a', true)]),
    ]);
    expect(hosts.filter((h) => h.allStopped).map((h) => [h.host, h.running, h.wanted])).toEqual([['host-b', 0, 2]]);
    expect(hostsOf([])).toEqual([]);
  });

  it('puts a process that never said where it runs under one unknown host', () => {
    const [only] = hostsOf([service('exodus-tally', [instance('tally-1', null, true)])]);
    expect(only).toMatchObject({ host: UNKNOWN_HOST, running: 1, wanted: 1, allStopped: false });
  });
});
