import { Pool } from 'undici';

/** One request as the generator sends it; bodies are built ahead of time so the timed path only writes bytes. */
export interface LoadRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What a request came to: the status (or the transport error's code), and what the caller asked to read. */
export interface Answer {
  /** `"202"`, `"503"`… or an error code such as `UND_ERR_HEADERS_TIMEOUT`, `ECONNREFUSED`. */
  readonly key: string;
  readonly status: number | undefined;
  /** Seconds, from a 429/503's `Retry-After`. */
  readonly retryAfterS: number | undefined;
  /** The body as text, only when `readBody` said so for this status. */
  readonly body: string | undefined;
}

/**
 * One keep-alive connection per virtual user, no pipelining: that is how browsers and most HTTP
 * clients talk to an API, and pipelining would flatter the server that answers in order fastest.
 */
export function openPool(origin: string, connections: number): Pool {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
}

/**
 * Sends one request and reads the whole answer (a server is done when its last byte is in, not its
 * status line). No header or body byte for `timeoutMs` is an error, so every request ends.
 */
export async function send(
  pool: Pool,
  request: LoadRequest,
  options: { timeoutMs: number; readBody?: (status: number) => boolean },
): Promise<Answer> {
  try {
    const response = await pool.request({
      method: request.method,
      path: request.path,
      headers: request.headers ?? {},
      body: request.body ?? null,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const status = response.statusCode;
    const body =
      options.readBody?.(status) === true ? await response.body.text() : (await response.body.dump(), undefined);
    const retryAfter = Number(response.headers['retry-after']);
    return { key: String(status), status, retryAfterS: Number.isFinite(retryAfter) ? retryAfter : undefined, body };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      key: typeof code === 'string' ? code : error instanceof Error ? error.name : 'error',
      status: undefined,
      retryAfterS: undefined,
      body: undefined,
    };
  }
}
