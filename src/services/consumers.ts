import { QUEUES, TOPICS, type MessagingEngine, type QueueName, type StorageEngine } from '../ports/index.js';
import type { Logger, MessageHandler } from '../runtime/index.js';
import type { ConsumerName } from './names.js';

export type { ConsumerName } from './names.js';

/**
 * Which queue a consumer reads and its handler over the given engines: the same wiring for the
 * long-lived loop (`exodus serve`) and the Lambda functions. Each handler's code loads only in the
 * process that runs it.
 */
export async function consumerOf(
  service: ConsumerName,
  messaging: MessagingEngine,
  storage: StorageEngine,
  logger: Logger,
): Promise<{ queue: QueueName; handler: MessageHandler }> {
  switch (service) {
    case 'parser': {
      const { createParserHandler } = await import('./parser/index.js');
      return {
        queue: QUEUES.intake,
        handler: createParserHandler({ store: storage.store, parsed: messaging.topic(TOPICS.wishParsed), logger }),
      };
    }
    case 'worker': {
      const { createWorkerHandler } = await import('./worker/index.js');
      return { queue: QUEUES.store, handler: createWorkerHandler({ store: storage.store, logger }) };
    }
    case 'tally': {
      const { createTallyHandler } = await import('./tally/index.js');
      return { queue: QUEUES.tally, handler: createTallyHandler({ readModel: storage.readModel, logger }) };
    }
  }
}
