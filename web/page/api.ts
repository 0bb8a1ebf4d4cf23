import type { Destination } from '../../src/domain/browser.js';
import type { Accepted, Problem } from '../../src/services/frontend/api-shapes.js';

export type { Accepted, TallyAnswer, WallPage, WishState } from '../../src/services/frontend/api-shapes.js';

/** What the page knows of a failed call: the API's problem, or only a status line (a proxy's error page, no connection). */
export type Failure = Partial<Problem> & Pick<Problem, 'title' | 'status'>;

/** A failed call: the API's problem, or status 0 when the network failed before any answer. */
export class ApiError extends Error {
  constructor(
    readonly problem: Failure,
    /** Seconds the server asked us to wait (429/503), if it said. */
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(problem.detail ?? problem.title);
  }
  get status(): number {
    return this.problem.status;
  }
}

export async function getJson<T>(path: string): Promise<T> {
  return call<T>(path, { headers: { accept: 'application/json' } });
}

export async function submitWish(
  pass: string,
  body: { destination: Destination; to?: string; message: string },
  idempotencyKey: string,
): Promise<Accepted> {
  return call<Accepted>('/api/wishes', {
    method: 'POST',
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      authorization: `Bearer ${pass}`,
      'idempotency-key': idempotencyKey,
    },
    body: JSON.stringify(body),
  });
}

async function call<T>(path: string, init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError(
      {
        title: 'No connection',
        status: 0,
        detail: 'Exodus could not be reached. Check your connection and try again.',
      },
      undefined,
    );
  }
  if (response.ok) return (await response.json()) as T;
  throw new ApiError(await problemOf(response), retryAfterOf(response.headers.get('retry-after')));
}

async function problemOf(response: Response): Promise<Failure> {
  try {
    const body = (await response.json()) as Partial<Problem>;
    if (typeof body.title === 'string') return { ...body, title: body.title, status: response.status };
  } catch {
    // Not JSON (a proxy's error page): fall through to the status line.
  }
  return { title: response.statusText || 'Error', status: response.status };
}

/** `Retry-After` is seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterOf(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}
