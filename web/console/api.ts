import type {
  AlertsResponse,
  CanaryResponse,
  EventsResponse,
  FailureModesResponse,
  LogsResponse,
  MetricSeriesResponse,
  MetricsResponse,
  Overview,
  ResourcesResponse,
  ServicePage,
  ServicesResponse,
  SlosResponse,
  TracesResponse,
} from '../../src/services/console/api-shapes.js';

/** A call that failed: the HTTP status (0 when no answer came) and a line to show the operator. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Where the server sends a browser without a valid session cookie. */
const LOGIN_PATH = '/login';

/**
 * GETs `/api/v1/<path>?<query>` with the session cookie. A 401 means the session is gone: the page
 * goes to the login page (and the promise never settles, so no view draws an error meanwhile).
 */
async function getJson<T>(path: string, query: URLSearchParams, signal: AbortSignal): Promise<T> {
  const search = query.size > 0 ? `?${query.toString()}` : '';
  let response: Response;
  try {
    const init: RequestInit = {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { accept: 'application/json' },
      signal,
    };
    response = await fetch(`/api/v1/${path}${search}`, init);
  } catch (error) {
    if (signal.aborted) throw error;
    throw new ApiError(0, 'the console server could not be reached');
  }
  if (response.status === 401) {
    location.assign(LOGIN_PATH);
    return new Promise<never>(() => undefined);
  }
  if (!response.ok) throw new ApiError(response.status, await problemText(response));
  return (await response.json()) as T;
}

/** RFC 9457 problem details' `detail` or `title`, else the status line. */
async function problemText(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { title?: unknown; detail?: unknown };
    if (typeof body.detail === 'string') return `${response.status}: ${body.detail}`;
    if (typeof body.title === 'string') return `${response.status}: ${body.title}`;
  } catch {
    // Not JSON (a proxy's error page): the status line will do.
  }
  return `${response.status} ${response.statusText}`.trim();
}

export const api = {
  overview: (signal: AbortSignal): Promise<Overview> => getJson('overview', new URLSearchParams(), signal),
  slos: (signal: AbortSignal): Promise<SlosResponse> => getJson('slos', new URLSearchParams(), signal),
  alerts: (signal: AbortSignal): Promise<AlertsResponse> => getJson('alerts', new URLSearchParams(), signal),
  failureModes: (signal: AbortSignal): Promise<FailureModesResponse> =>
    getJson('failure-modes', new URLSearchParams(), signal),
  services: (signal: AbortSignal): Promise<ServicesResponse> => getJson('services', new URLSearchParams(), signal),
  resources: (signal: AbortSignal): Promise<ResourcesResponse> => getJson('resources', new URLSearchParams(), signal),
  service: (name: string, query: URLSearchParams, signal: AbortSignal): Promise<ServicePage> =>
    getJson(`services/${encodeURIComponent(name)}`, query, signal),
  canary: (signal: AbortSignal): Promise<CanaryResponse> => getJson('canary', new URLSearchParams(), signal),
  traces: (query: URLSearchParams, signal: AbortSignal): Promise<TracesResponse> => getJson('traces', query, signal),
  logs: (query: URLSearchParams, signal: AbortSignal): Promise<LogsResponse> => getJson('logs', query, signal),
  events: (query: URLSearchParams, signal: AbortSignal): Promise<EventsResponse> => getJson('events', query, signal),
  metrics: (signal: AbortSignal): Promise<MetricsResponse> => getJson('metrics', new URLSearchParams(), signal),
  metric: (name: string, query: URLSearchParams, signal: AbortSignal): Promise<MetricSeriesResponse> =>
    getJson(`metrics/${encodeURIComponent(name)}`, query, signal),
};
