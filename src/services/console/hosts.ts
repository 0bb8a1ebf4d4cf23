import type { HostSummary, ServiceSummary } from './api-shapes.js';

/** The host of a process that never said where it runs. */
export const UNKNOWN_HOST = 'unknown';

/**
 * The services' processes by host (each process's `host.name`, instance-origin.ts): running and
 * wanted per host, where wanted is every process the overview lists there (the supervisor's, else
 * those heard from in the last 15 minutes). The rule an operator reads at once: a host with
 * processes and none running is `allStopped` ("running processes = 0 on host X"), whatever the
 * reason (the host is down, its supervisor stopped them, the network to it is cut).
 */
export function hostsOf(services: readonly ServiceSummary[]): HostSummary[] {
  const hosts = new Map<string, HostSummary['processes'][number][]>();
  for (const service of services) {
    for (const instance of service.instances) {
      const host = instance.host ?? UNKNOWN_HOST;
      const list = hosts.get(host) ?? [];
      list.push({ service: service.name, instance: instance.instance, up: instance.up, version: instance.version });
      hosts.set(host, list);
    }
  }
  return [...hosts]
    .map(([host, processes]): HostSummary => {
      const running = processes.filter((p) => p.up).length;
      return { host, running, wanted: processes.length, allStopped: running === 0, processes };
    })
    .sort((a, b) => a.host.localeCompare(b.host, 'en', { numeric: true }));
}
