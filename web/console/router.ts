/**
 * Hash routes: `#/<view>?<query>`, e.g. `#/traces?wish=…`, `#/logs?around=…&window=3s`. The hash keeps
 * every view linkable and the back button meaningful without the server knowing any route but `/`.
 */
export const VIEWS = ['overview', 'traces', 'logs', 'events', 'metrics', 'risks', 'service'] as const;
export type ViewName = (typeof VIEWS)[number];

export const VIEW_TITLES: Readonly<Record<ViewName, string>> = {
  overview: 'Overview',
  traces: 'Traces',
  logs: 'Logs',
  events: 'Events',
  metrics: 'Metrics',
  service: 'Service',
  risks: 'Failure modes',
};

export interface Route {
  readonly view: ViewName;
  readonly params: URLSearchParams;
}

/** Anything unknown (an empty hash, an old link) is the overview. */
export function parseHash(hash: string): Route {
  const match = /^#\/([a-z]+)(?:\?(.*))?$/.exec(hash);
  const view = VIEWS.find((name) => name === match?.[1]);
  if (view === undefined) return { view: 'overview', params: new URLSearchParams() };
  return { view, params: new URLSearchParams(match?.[2] ?? '') };
}

/** `#/logs?around=…`: empty values are left out, so a form's blank fields make no parameters. */
export function hrefOf(
  view: ViewName,
  params: Readonly<Record<string, string | undefined>> | URLSearchParams = {},
): string {
  const entries = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params);
  const query = new URLSearchParams();
  for (const [key, value] of entries) if (value !== undefined && value !== '') query.set(key, value);
  return query.size > 0 ? `#/${view}?${query.toString()}` : `#/${view}`;
}

/** Calls `onRoute` now and on every change of the hash. */
export function startRouter(onRoute: (route: Route) => void): void {
  window.addEventListener('hashchange', () => onRoute(parseHash(location.hash)));
  onRoute(parseHash(location.hash));
}
