import type { StorageEngine } from '../ports/index.js';
import { openDynamoStorage } from './dynamodb/index.js';
import type { EngineOptions } from './options.js';
import { openSqsMessaging, type SqsMessaging } from './sqs/index.js';

export type { RecordDelivery, Settle, SqsMessaging, SqsRecord } from './sqs/index.js';

/**
 * The engines' public face for a Lambda function: the AWS engines only, loaded statically (a Lambda
 * bundle holds what it imports, and the embedded engine's native SQLite module has no place there),
 * and the SQS engine with what an event source mapping needs, the deliveries of an event's records.
 */
export async function openLambdaEngines(
  queueUrl: string,
  storeUrl: string,
  options: EngineOptions,
): Promise<{ messaging: SqsMessaging; storage: StorageEngine }> {
  if (!queueUrl.startsWith('sqs:') || !storeUrl.startsWith('dynamodb:')) {
    throw new Error(
      `a Lambda function runs on the AWS engines: EXODUS_QUEUE=sqs://… and EXODUS_STORE=dynamodb://… (got ${queueUrl.split('?')[0] ?? ''} and ${storeUrl.split('?')[0] ?? ''})`,
    );
  }
  const messaging = await openSqsMessaging(queueUrl, options);
  try {
    return { messaging, storage: await openDynamoStorage(storeUrl) };
  } catch (error) {
    await messaging.close();
    throw error;
  }
}
