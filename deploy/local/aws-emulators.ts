import { startFauxqs } from 'fauxqs';
import { JAVA_UNAVAILABLE, startDynamoDbLocal } from '../../testkit/aws/index.js';

/**
 * `npm run aws:local`: the AWS engines' emulators for a user who wants to try Exodus on them, in the
 * foreground until Ctrl-C: fauxqs (SQS + SNS, in this process, in memory) and Amazon's DynamoDB
 * Local (Java, in memory). Prints the two settings to use; the engines create their queues, topic
 * and table on first use. Both listen on 127.0.0.1 (DynamoDB Local on every interface: it has no
 * bind option).
 */
const SQS_PORT = Number(process.env['EXODUS_FAUXQS_PORT'] ?? 9324);

async function main(): Promise<void> {
  if (JAVA_UNAVAILABLE !== undefined) throw new Error(JAVA_UNAVAILABLE);
  const sqs = await startFauxqs({ port: SQS_PORT, host: '127.0.0.1', logger: false });
  const dynamodb = await startDynamoDbLocal().catch(async (error: unknown) => {
    await sqs.stop();
    throw error;
  });
  console.log(
    `SQS + SNS (fauxqs) on http://127.0.0.1:${sqs.port}, DynamoDB Local on ${dynamodb.endpoint}; both in memory. Use:`,
  );
  console.log(`EXODUS_QUEUE=sqs://us-east-1/exodus?endpoint=http://127.0.0.1:${sqs.port}`);
  console.log(`EXODUS_STORE=dynamodb://us-east-1/exodus?endpoint=${dynamodb.endpoint}`);
  console.log('Ctrl-C stops both (and forgets everything).');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await Promise.all([sqs.stop(), dynamodb.stop()]);
}

main().catch((error: unknown) => {
  console.error(`aws:local: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
