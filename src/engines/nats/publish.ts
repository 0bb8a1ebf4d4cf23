import type { Envelope } from '../../ports/index.js';
import type { Connection } from './connection.js';
import { guarded } from './errors.js';

/**
 * Publishes envelopes (their JSON) to a stream subject and resolves only once the stream has
 * acknowledged every one: that ack is what a 202 at the frontend stands on. `Nats-Msg-Id` is the
 * event id, so the stream drops a resend within its duplicate window (and still acks it). A message
 * too big for the server or the stream fails as a `MessageRefusedError` (see errors.ts).
 */
export async function publishEnvelopes(
  conn: Connection,
  subject: string,
  messages: readonly Envelope[],
  doing: string,
): Promise<void> {
  if (messages.length === 0) return;
  await guarded(
    doing,
    () => Promise.all(messages.map((message) => conn.publish(subject, JSON.stringify(message), message.id))),
    'publish',
  );
}
