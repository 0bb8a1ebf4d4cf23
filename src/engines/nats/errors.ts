import { JetStreamApiError } from '@nats-io/jetstream';
import { errors as natsErrors } from '@nats-io/transport-node';
import { ExodusError, MessageRefusedError, PermanentError, TransientError } from '../../domain/index.js';
import { withClassifiedErrors } from '../shared/errors.js';

/** JetStream's "message size exceeds maximum allowed": over the stream's `max_msg_size`. */
const MESSAGE_TOO_LARGE = 10054;

/**
 * Turns what nats.js throws into the error catalog. Everything a broker restart, a lost connection
 * or a slow server produces is a `TransientError` (the client reconnects forever, so it heals);
 * only what the same request would hit again is a `PermanentError`. On a `'publish'` of messages a
 * refused argument or size speaks of the message (nats.js checks the payload against the server's
 * `max_payload` before sending; the subject and message id are the engine's own): a
 * `MessageRefusedError`. NATS carries any bytes, so it never refuses a character.
 */
export function classify(error: unknown, doing: string, call: 'publish' | 'other' = 'other'): ExodusError {
  if (error instanceof ExodusError) return error;
  const found = (type: abstract new (...args: never[]) => Error): boolean =>
    causes(error).some((e) => e instanceof type);
  const message = `NATS: ${doing} failed: ${error instanceof Error ? error.message : String(error)}`;
  if (found(natsErrors.TimeoutError)) return new TransientError('nats_timeout', message, { cause: error });
  // No responders: JetStream (or the stream's leader) is not there right now, e.g. the broker restarts.
  if (found(natsErrors.NoRespondersError)) return new TransientError('nats_no_responders', message, { cause: error });
  if (
    found(natsErrors.ClosedConnectionError) ||
    found(natsErrors.DrainingConnectionError) ||
    found(natsErrors.ConnectionError)
  ) {
    return new TransientError('nats_disconnected', message, { cause: error });
  }
  if (found(natsErrors.InvalidArgumentError)) {
    return call === 'publish'
      ? new MessageRefusedError(message, { cause: error })
      : new PermanentError('nats_invalid_request', message, { cause: error });
  }
  const api = causes(error).find((e): e is JetStreamApiError => e instanceof JetStreamApiError);
  if (api !== undefined) {
    if (call === 'publish' && api.code === MESSAGE_TOO_LARGE) return new MessageRefusedError(message, { cause: error });
    // 4xx other than "not found" is a request the server will refuse again (too big, bad config);
    // a missing stream or consumer comes back when a process opens the engine, 5xx is the server's.
    if (api.status >= 400 && api.status < 500 && api.status !== 404 && api.status !== 408) {
      return new PermanentError(`nats_api_${api.code}`, message, { cause: error });
    }
    return new TransientError(`nats_api_${api.code}`, message, { cause: error });
  }
  return new TransientError('nats_error', message, { cause: error });
}

/** Runs `work` (a `'publish'` of messages, or any other call), classifying whatever it throws. */
export function guarded<T>(doing: string, work: () => Promise<T>, call: 'publish' | 'other' = 'other'): Promise<T> {
  return withClassifiedErrors(work, (error) => classify(error, doing, call));
}

function causes(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let e = error; e instanceof Error && chain.length < 8; e = e.cause) chain.push(e);
  return chain;
}
