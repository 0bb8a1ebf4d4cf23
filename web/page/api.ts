import type { Destination, FieldProblem, WallItem, WishStatus } from '../../src/domain/browser.js';

/** RFC 9457 problem details, as the API sends them for every error. */
export interface Problem {
  readonly type?: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly FieldProblem[];
}

export interface Accepted {
  readonly id: string;
  readonly status: 'pending';
  readonly evacueeId: string;
  readonly destination: Destination;
  readonly submittedAt: string;
}

export interface WishState {
  readonly id: string;
  readonly status: WishStatus;
  readonly reason?: string;
  readonly destination?: Destination;
  readonly arrivalDate?: string;
}

export interface WallPage {
  readonly items: readonly WallItem[];
  readonly next: string | null;
}

export type Tally = Readonly<Record<Destination, number>>;

/** A failed call: the API's problem, or status 0 when the network failed before any answer. */
export class ApiError extends Error {
  constructor(
    readonly problem: Problem,
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

async function problemOf(response: Response): Promise<Problem> {
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
