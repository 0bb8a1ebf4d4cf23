import { QUEUES, SUBSCRIPTIONS, type QueueName } from '../../ports/index.js';

/**
 * The names of everything the engine uses, from the URL's name (`exodus`): queues `exodus-intake`,
 * `exodus-store`, `exodus-tally`, each with `-dlq`; topic `exodus-wish-parsed`. The CDK app
 * (deploy/aws) creates the same names.
 */
export class Layout {
  constructor(readonly prefix: string) {}

  queue(name: QueueName): string {
    return `${this.prefix}-${name}`;
  }

  deadLetterQueue(name: QueueName): string {
    return `${this.queue(name)}-dlq`;
  }

  /** SNS topic names allow [A-Za-z0-9_-]: `wish.parsed` becomes `wish-parsed`. */
  topic(name: string): string {
    return `${this.prefix}-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  }

  get queues(): readonly QueueName[] {
    return Object.values(QUEUES);
  }

  get topics(): readonly { readonly name: string; readonly subscribers: readonly QueueName[] }[] {
    return Object.entries(SUBSCRIPTIONS).map(([name, subscribers]) => ({ name, subscribers }));
  }
}
