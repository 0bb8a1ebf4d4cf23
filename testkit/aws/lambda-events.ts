import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * What Lambda's SQS event source mapping does around a function, done by hand against an emulator:
 * receive a batch, hand it over as a real SQS event, then delete every record the function did not
 * report failed (partial batch response).
 */
export async function invokeOnQueue(
  sqs: SQSClient,
  queueName: string,
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>,
  { max = 10, timeoutMs = 30_000 }: { max?: number; timeoutMs?: number } = {},
): Promise<{ records: SQSRecord[]; response: SQSBatchResponse }> {
  const { QueueUrl: url = '' } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  const { Attributes: { QueueArn: arn = '' } = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const { Messages: messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: max,
      VisibilityTimeout: 180,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  const records = messages.map((message) => toRecord(message, arn));
  const response = await handler({ Records: records }, lambdaContext(timeoutMs));
  const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  const done = records.filter((record) => !failed.has(record.messageId));
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: done.map((record, i) => ({ Id: String(i), ReceiptHandle: record.receiptHandle })),
      }),
    );
  }
  return { records, response };
}

/** An SQS message as the event source mapping puts it in the event (lower-case attribute fields, string values). */
function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

function lambdaContext(timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'exodus-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:exodus-test',
    memoryLimitInMB: '512',
    awsRequestId: `req-${Date.now()}`,
    logGroupName: '/aws/lambda/exodus-test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
