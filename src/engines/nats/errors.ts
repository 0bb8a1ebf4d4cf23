import { errors as natsErrors } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import { ExodusError, PermanentError, TransientError } from '../../domain/index.js';

/**
 * Turns what nats.js throws into the error catalog. Everything a broker restart, a lost connection
 * or a slow server produces is a `TransientError` (the client reconnects forever, so it heals);
 * only what the same request would hit again is a `PermanentError`.
 */
export function classify(error: unknown, doing: string): ExodusError {
  if (error instanceof ExodusError) return error;
  const found = (type: abstract new (...args: never[]) => Error): boolean => causes(error).some((e) => e instanceof type);
  const message = `NATS: ${doing} failed: ${error instanceof Error ? error.message : String(error)}`;
  if (found(natsErrors.TimeoutError)) return new TransientError('nats_timeout', message, { cause: error });
  // No responders: JetStream (or the stream's leader) is not there right now, e.g. the broker restarts.
  if (found(natsErrors.NoRespondersError)) return new TransientError('nats_no_responders', message, { cause: error });
  if (found(natsErrors.ClosedConnectionError) || found(natsErrors.DrainingConnectionError) || found(natsErrors.ConnectionError)) {
    return new TransientError('nats_disconnected', message, { cause: error });
  }
  if (found(natsErrors.InvalidArgumentError)) return new PermanentError('nats_invalid_request', message, { cause: error });
  const api = causes(error).find((e): e is JetStreamApiError => e instanceof JetStreamApiError);
  if (api !== undefined) {
    // 4xx other than "not found" is a request the server will refuse again (too big, bad config);
    // a missing stream or consumer comes back when a process opens the engine, 5xx is the server's.
    if (api.status >= 400 && api.status < 500 && api.status !== 404 && api.status !== 408) {
      return new PermanentError(`nats_api_${api.code}`, message, { cause: error });
    }
    return new TransientError(`nats_api_${api.code}`, message, { cause: error });
  }
  return new TransientError('nats_error', message, { cause: error });
}

/** Runs `work`, classifying whatever it throws. */
export async function guarded<T>(doing: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw classify(error, doing);
  }
}

function causes(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let e = error; e instanceof Error && chain.length < 8; e = e.cause) chain.push(e);
  return chain;
}
