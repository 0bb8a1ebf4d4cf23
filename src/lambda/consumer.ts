import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { openLambdaEngines, type RecordDelivery, type Settle, type SqsMessaging } from '../engines/lambda.js';
import type { QueueName } from '../ports/index.js';
import {
  createLogger,
  loadConfig,
  processDelivery,
  serviceNameOf,
  startTelemetry,
  type Config,
  type DeliveryProcessing,
  type Logger,
  type MessageHandler,
  type Telemetry,
} from '../runtime/index.js';
import { consumerOf, type ConsumerName } from '../services/consumers.js';

/** A Lambda function's handler for an SQS event source mapping. */
export type SqsLambdaHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** What stays warm between invocations: opened once, at the first one. */
interface Warm {
  readonly config: Config;
  readonly metrics: Metrics;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly messaging: SqsMessaging;
  readonly queue: QueueName;
  readonly handler: MessageHandler;
}

/** Time kept back at the end of an invocation: settles and the telemetry flush must fit in it. */
const END_MARGIN_MS = 3000;

/** The CloudWatch metrics of how an invocation's messages ended (namespace `Exodus`, dimension `service`). */
const OUTCOME_METRICS: Readonly<Record<Settle | 'failed', string>> = {
  ack: 'MessagesHandled',
  retry: 'MessagesRetried',
  'dead-letter': 'MessagesDeadLettered',
  failed: 'MessagesReportedFailed',
};

/**
 * The parser, worker or tally as a Lambda function behind an SQS event source mapping, running the
 * same handler as the long-lived consumer and handling each record the same way (process-delivery.ts:
 * a CONSUMER span continuing the trace the message carries, a store outage held through while the
 * invocation has time, a retry spending an attempt, a `PermanentError` dead-lettered with its reason).
 *
 * Settling (see SqsQueue.admitRecords): a retry sends a delayed copy carrying the attempt count and
 * the error, a dead letter goes to the queue's DLQ with its reason, and the record itself is then
 * deleted by Lambda, because it is not reported failed. A record is reported failed (partial batch
 * response, through Powertools' BatchProcessor) only when its settle did not go through; SQS then
 * delivers it again after the visibility timeout, and its lapses count, so the redrive policy's
 * `maxReceiveCount` is the net under the engine's own dead-lettering.
 *
 * An outage is held through only while a backoff (at most EXODUS_RETRY_MAX_MS) still ends before
 * the invocation must: set it well under the function's timeout.
 *
 * How the messages ended is counted as CloudWatch metrics (`countOutcomes`).
 *
 * Runs on the AWS engines: EXODUS_QUEUE is `sqs://…` and EXODUS_STORE `dynamodb://…`. Data dir (the
 * only writable place is /tmp): EXODUS_DATA, default /tmp/exodus.
 */
export function sqsConsumer(service: ConsumerName): SqsLambdaHandler {
  let warm: Promise<Warm> | undefined;
  return async (event, context) => {
    // A failed start is tried again at the next invocation, not remembered.
    warm ??= start(service).catch((error: unknown) => {
      warm = undefined;
      throw error;
    });
    const { config, metrics, telemetry, logger, messaging, queue, handler } = await warm;
    const deadline = Date.now() + context.getRemainingTimeInMillis() - END_MARGIN_MS;
    try {
      const admitted = await messaging.admitRecords(queue, event.Records, deadline);
      const byId = new Map(event.Records.map((record, i) => [record.messageId, admitted[i]]));
      const how: DeliveryProcessing = {
        ...config,
        queue: { name: queue },
        handler,
        logger,
        holding: () => Date.now() + config.retryMaxMs < deadline,
        stopping: AbortSignal.timeout(Math.max(0, deadline - Date.now())),
      };
      const response = await processPartialResponse(
        event,
        async (record: SQSRecord) => {
          const delivery = byId.get(record.messageId);
          if (delivery === 'parked') return;
          if (delivery === undefined || delivery === 'failed')
            throw new Error(`record ${record.messageId} could not be dead-lettered; SQS delivers it again`);
          await processDelivery(delivery, how);
          if (delivery.settled === undefined)
            throw new Error(`message ${delivery.message.id} was not settled; SQS delivers it again`);
        },
        new BatchProcessor(EventType.SQS),
        { context, throwOnFullBatchFailure: false },
      );
      countOutcomes(metrics, admitted, response.batchItemFailures.length);
      return response;
    } finally {
      metrics.publishStoredMetrics();
      // The sandbox freezes when the handler returns: what is buffered goes now or waits for the next invocation.
      await telemetry.flush();
    }
  };
}

async function start(service: ConsumerName): Promise<Warm> {
  const config = loadConfig({}, { EXODUS_DATA: '/tmp/exodus', ...process.env });
  const telemetry = startTelemetry(serviceNameOf(service), { tracesPerSecond: config.tracesPerSecond });
  const logger = createLogger(service, config.logLevel, telemetry.logDestination);
  const { messaging, storage } = await openLambdaEngines(config.queueUrl, config.storeUrl, config);
  const { queue, handler } = await consumerOf(service, messaging, storage, logger);
  logger.info({ queue }, `${service} ready (Lambda)`);
  const metrics = new Metrics({ namespace: 'Exodus', serviceName: serviceNameOf(service) });
  return { config, metrics, telemetry, logger, messaging, queue, handler };
}

/**
 * How the invocation's messages ended, as CloudWatch metrics written into the log (EMF, by
 * Powertools): what CloudWatch shows of the pipeline beside Lambda's and SQS's own metrics, with or
 * without an OTLP backend. A message parked at admission (unreadable, or out of lapses) counts as
 * dead-lettered.
 */
function countOutcomes(
  metrics: Metrics,
  admitted: readonly (RecordDelivery | 'parked' | 'failed')[],
  reportedFailed: number,
): void {
  const counts: Record<Settle | 'failed', number> = { ack: 0, retry: 0, 'dead-letter': 0, failed: reportedFailed };
  for (const delivery of admitted) {
    if (delivery === 'parked') counts['dead-letter']++;
    else if (delivery !== 'failed' && delivery.settled !== undefined) counts[delivery.settled]++;
  }
  for (const [outcome, count] of Object.entries(counts) as [Settle | 'failed', number][])
    metrics.addMetric(OUTCOME_METRICS[outcome], MetricUnit.Count, count);
}
