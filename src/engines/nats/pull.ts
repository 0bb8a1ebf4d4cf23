import { createInbox, type Msg } from '@nats-io/transport-node';
import { TransientError } from '../../domain/index.js';
import { REQUEST_TIMEOUT_MS, type Connection } from './connection.js';
import type { Lane } from './layout.js';

/** A message handed out by a pull consumer, with what its ack subject says about it. */
export interface Pulled {
  readonly body: string;
  /** The subject to settle it on (`$JS.ACK…`): acks, naks and progress go there. */
  readonly reply: string;
  /** The server's count of deliveries of this message to this consumer, 1 on the first. */
  readonly deliveryCount: number;
  readonly streamSeq: number;
}

/**
 * Takes up to `max` messages that are deliverable now, without waiting for more. nats.js's
 * `fetch()` waits at least 1 s for a batch to fill, which would turn an empty poll into a 1 s stall
 * (and hand out a message that becomes deliverable during the wait), so this is the raw pull with
 * `no_wait`: the server sends what it has, then a 404/408 status that ends the batch. With
 * `waitMs`, the server instead waits that long for the batch to fill (a 408 ends it).
 */
export function pull(conn: Connection, lane: Lane, max: number, waitMs = 0): Promise<Pulled[]> {
  if (!conn.connected)
    return Promise.reject(
      new TransientError('nats_disconnected', `NATS: receive from ${lane.stream} failed: not connected`),
    );
  return new Promise((resolve, reject) => {
    const got: Pulled[] = [];
    const inbox = createInbox();
    let done = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sub.unsubscribe();
      if (error === undefined) resolve(got);
      else reject(error);
    };
    const sub = conn.nc.subscribe(inbox, {
      callback: (err, msg) => {
        if (err !== null)
          return finish(
            new TransientError('nats_pull_failed', `NATS: pull from ${lane.stream} failed: ${err.message}`, {
              cause: err,
            }),
          );
        const status = msg.headers?.code ?? 0;
        if (status !== 0 || msg.reply === undefined) return finish(endOfBatch(status, msg, lane));
        got.push(pulled(msg, msg.reply));
        if (got.length >= max) finish();
      },
    });
    // Messages the server sent after a timeout are not lost: unacked, they come back after the hold.
    const timer = setTimeout(
      () => finish(new TransientError('nats_timeout', `NATS: pull from ${lane.stream} timed out`)),
      REQUEST_TIMEOUT_MS + waitMs,
    );
    conn.nc.publish(
      `$JS.API.CONSUMER.MSG.NEXT.${lane.stream}.${lane.consumer}`,
      JSON.stringify(waitMs > 0 ? { batch: max, expires: waitMs * 1_000_000 } : { batch: max, no_wait: true }),
      { reply: inbox },
    );
  });
}

function endOfBatch(status: number, msg: Msg, lane: Lane): Error | undefined {
  // 404 No Messages, 408 Request Timeout (no_wait ran out before the batch filled), 409 e.g.
  // "Exceeded MaxAckPending": all mean "that is all for now".
  if (status === 404 || status === 408 || status === 409) return undefined;
  const what = `${status} ${msg.headers?.description ?? ''}`.trim();
  return new TransientError(
    status === 503 ? 'nats_no_responders' : 'nats_pull_failed',
    `NATS: pull from ${lane.stream} failed: ${what}`,
  );
}

const utf8 = new TextDecoder();

function pulled(msg: Msg, reply: string): Pulled {
  const info = parseAckSubject(reply);
  return { body: utf8.decode(msg.data), reply, ...info };
}

/**
 * Reads delivery count and stream sequence from an ack subject, in both layouts the server uses:
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>` and, with a domain and
 * account hash, `$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>[.<token>]`.
 */
export function parseAckSubject(reply: string): { deliveryCount: number; streamSeq: number } {
  const tokens = reply.split('.');
  const base = tokens.length === 9 ? 4 : tokens.length >= 11 ? 6 : -1;
  const deliveryCount = Number(tokens[base]);
  const streamSeq = Number(tokens[base + 1]);
  if (base < 0 || !Number.isSafeInteger(deliveryCount) || !Number.isSafeInteger(streamSeq)) {
    throw new TransientError('nats_bad_ack_subject', `NATS: unexpected ack subject "${reply}"`);
  }
  return { deliveryCount, streamSeq };
}
