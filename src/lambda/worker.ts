import { sqsConsumer } from './consumer.js';

/** The worker as a Lambda function on an SQS event source (see consumer.ts). */
export const handler = sqsConsumer('worker');
