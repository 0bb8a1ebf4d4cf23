import type { Envelope, Topic } from '../../ports/index.js';
import type { Connection } from './connection.js';
import type { Layout } from './layout.js';
import { publishEnvelopes } from './publish.js';

/**
 * Fan-out by JetStream itself: one publish to the topic's subject, stored once in its stream, read
 * by one durable consumer per subscription. Those consumers are created when the engine opens,
 * before anything is published, so the stream's ack means every subscription holds the message; it
 * is removed once each of them has acked it (topic-trim.ts).
 */
export class NatsTopic implements Topic {
  constructor(
    readonly name: string,
    private readonly conn: Connection,
    private readonly layout: Layout,
    private readonly subscribed: boolean,
  ) {}

  async publish(messages: readonly Envelope[]): Promise<void> {
    // A topic nobody subscribes to has nowhere to hold messages, like the SQLite engine's.
    if (!this.subscribed) return;
    await publishEnvelopes(this.conn, this.layout.topicSubject(this.name), messages, `publish to ${this.name}`);
  }
}
