import { PermanentError, TransientError } from '../../domain/index.js';
import type { Connection } from './connection.js';

/** A message as a stream stores it. */
export interface Stored {
  readonly seq: number;
  readonly subject: string;
  readonly body: string;
  /**
   * Its `Nats-Msg-Id` header, as the server keeps it: the event id for a send or publish (publish.ts),
   * `<id>:redrive:<letter seq>` for a redrive (dead-letters.ts); trimmed of surrounding whitespace, as
   * nats.js writes every header value; undefined when it has none (published by hand).
   */
  readonly msgId: string | undefined;
  /** When the stream stored it (server clock). */
  readonly storedAt: Date;
}

/** `seq`: that one; `seq` + `next_by_subj`: the first at or after it on a subject; `last_by_subj`: the newest on a subject. */
export type StoredQuery = { readonly seq: number; readonly next_by_subj?: string } | { readonly last_by_subj: string };

/**
 * Reads one stored message, or undefined when there is none. This is the raw `STREAM.MSG.GET`
 * request rather than `jsm.streams.getMessage`, whose types omit `next_by_subj` (supported since
 * server 2.9) that scanning a dead-letter stream needs.
 */
export async function readStored(conn: Connection, stream: string, query: StoredQuery): Promise<Stored | undefined> {
  const reply = await conn.request(`$JS.API.STREAM.MSG.GET.${stream}`, JSON.stringify(query), `read from ${stream}`);
  const answer = reply.json<MsgGetResponse>();
  if (answer.error !== undefined) {
    if (answer.error.err_code === NO_MESSAGE_FOUND) return undefined;
    const message = `NATS: read from ${stream} failed: ${answer.error.description ?? answer.error.code}`;
    throw answer.error.code >= 500 || answer.error.err_code === STREAM_NOT_FOUND
      ? new TransientError(`nats_api_${answer.error.err_code ?? answer.error.code}`, message)
      : new PermanentError(`nats_api_${answer.error.err_code ?? answer.error.code}`, message);
  }
  const stored = answer.message;
  if (stored === undefined)
    throw new TransientError('nats_bad_reply', `NATS: read from ${stream} gave neither a message nor an error`);
  return {
    seq: stored.seq,
    subject: stored.subject,
    body: stored.data === undefined ? '' : Buffer.from(stored.data, 'base64').toString('utf8'),
    msgId:
      stored.hdrs === undefined ? undefined : headerValue(Buffer.from(stored.hdrs, 'base64').toString('utf8'), MSG_ID),
    storedAt: new Date(stored.time),
  };
}

/** The id a stored message that is no envelope (published by hand) goes by: its dead letter's, made at receive. */
export function unreadableId(stream: string, seq: number): string {
  return `unreadable:${stream}:${seq}`;
}

/**
 * One header's first value in a header block (`NATS/1.0\r\nName: value\r\n…\r\n\r\n`), read as
 * nats.js reads it (name before the first colon, value trimmed); names compare case-insensitively.
 */
export function headerValue(block: string, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const line of block.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === wanted) return line.slice(colon + 1).trim();
  }
  return undefined;
}

const MSG_ID = 'Nats-Msg-Id';
const NO_MESSAGE_FOUND = 10037;
const STREAM_NOT_FOUND = 10059;

interface MsgGetResponse {
  readonly message?: {
    readonly subject: string;
    readonly seq: number;
    readonly hdrs?: string;
    readonly data?: string;
    readonly time: string;
  };
  readonly error?: { readonly code: number; readonly err_code?: number; readonly description?: string };
}
