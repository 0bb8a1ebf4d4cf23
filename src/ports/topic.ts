import type { Envelope } from './envelope.js';

/**
 * Fan-out: `publish` resolves once every subscription queue durably holds every message. Each
 * subscriber then consumes its own copy at its own pace with the `Queue` guarantees.
 */
export interface Topic {
  readonly name: string;
  publish(messages: readonly Envelope[]): Promise<void>;
}
