import type { EventsResponse, ServicesResponse } from '../src/services/console/api-shapes.js';
import type { Check } from './experiment.js';

/** What the lab's one console saw: every process under its host, and the events of the fault. */
export interface ConsoleView {
  readonly check: Check;
  /** Events the console recorded from the fault's start on, by kind (e.g. `dependency.unavailable: 4`). */
  readonly events: string;
}

/**
 * Asks the console the lab's processes exported to: did every one of them report, under its lab host's
 * name (the per-host overview), and which events did the fault raise (a partition's or a failover's
 * dependency events, restarts)?
 */
export async function consoleView(
  consoleUrl: string,
  token: string,
  expected: readonly { readonly instance: string; readonly host: string }[],
  faultFrom: number | undefined,
): Promise<ConsoleView> {
  const headers = { authorization: `Bearer ${token}` };
  const get = async <T>(path: string): Promise<T | undefined> => {
    try {
      const answer = await fetch(`${consoleUrl}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
      return answer.ok ? ((await answer.json()) as T) : undefined;
    } catch {
      return undefined;
    }
  };
  const services = await get<ServicesResponse>('/api/v1/services');
  const seen = new Set(
    (services?.services ?? []).flatMap((service) =>
      service.instances.map((instance) => `${instance.instance}@${instance.host ?? '?'}`),
    ),
  );
  const missing = expected.filter(({ instance, host }) => !seen.has(`${instance}@${host}`));
  const since = faultFrom === undefined ? '' : `&since=${encodeURIComponent(new Date(faultFrom).toISOString())}`;
  const events = (await get<EventsResponse>(`/api/v1/events?limit=500${since}`))?.events ?? [];
  const byKind = new Map<string, number>();
  for (const event of events) byKind.set(event.kind, (byKind.get(event.kind) ?? 0) + 1);
  return {
    check: {
      name: 'every process reported to the one console under its host',
      ok: services !== undefined && missing.length === 0,
      detail:
        services === undefined
          ? 'the console did not answer'
          : missing.length === 0
            ? `${expected.length} processes on ${new Set(expected.map((e) => e.host)).size} hosts`
            : `missing: ${missing.map((m) => `${m.instance} on ${m.host}`).join(', ')}`,
    },
    events:
      [...byKind.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([kind, n]) => `${kind}: ${n}`)
        .join(', ') || 'none',
  };
}
