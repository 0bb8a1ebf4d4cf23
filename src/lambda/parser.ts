import { sqsConsumer } from './consumer.js';

/** The parser as a Lambda function on an SQS event source (see consumer.ts). */
export const handler = sqsConsumer('parser');
