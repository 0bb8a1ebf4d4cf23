import type { Envelope, Queue, Topic } from '../../ports/index.js';

/**
 * Fan-out for engines without a native one: publishing sends to every subscription queue. Sends in
 * the same turn share one SQLite transaction; if one fails the publish rejects and the publisher
 * retries, which is safe because queues deduplicate on event id.
 */
export class FanOutTopic implements Topic {
  constructor(
    readonly name: string,
    private readonly subscriptions: readonly Queue[],
  ) {}

  async publish(messages: readonly Envelope[]): Promise<void> {
    await Promise.all(this.subscriptions.map((queue) => queue.send(messages)));
  }
}
