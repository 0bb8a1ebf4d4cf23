import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { PermanentError, TransientError } from '../../../src/domain/index.js';
import type { RecordDelivery, Settle, SqsMessaging } from '../../../src/engines/lambda.js';
import type { Envelope } from '../../../src/ports/index.js';
import type * as Runtime from '../../../src/runtime/index.js';

/**
 * The Lambda consumer's promise to the event source mapping, without AWS: a record is deleted (not
 * reported failed) only when its message was settled — acknowledged, retried as a copy, or
 * dead-lettered — or parked at admission; every other record is in `batchItemFailures`, so SQS
 * delivers it again. The engines are replaced by a stand-in whose admission and settles the test
 * decides (the real ones run against emulators in test/integration/lambda.test.ts).
 */

const engines = vi.hoisted(() => ({ open: vi.fn(), consumer: vi.fn() }));
vi.mock('../../../src/engines/lambda.js', () => ({ openLambdaEngines: engines.open }));
vi.mock('../../../src/services/consumers.js', () => ({ consumerOf: engines.consumer }));
const telemetry = vi.hoisted(() => ({ started: [] as unknown[][] }));
vi.mock('../../../src/runtime/index.js', async (original) => {
  const runtime = await original<typeof Runtime>();
  return {
    ...runtime,
    startTelemetry: (...args: Parameters<typeof runtime.startTelemetry>) => (
      telemetry.started.push(args),
      runtime.startTelemetry(...args)
    ),
  };
});
const { sqsConsumer } = await import('../../../src/lambda/consumer.js');

type Behaviour = 'ok' | 'permanent' | 'transient-once' | 'transient' | 'fails';

/** A delivery whose settles go through, or not (`settles: false`: the queue refused or could not be reached). */
class FakeDelivery implements RecordDelivery {
  settled: Settle | undefined;
  readonly settles: Settle[] = [];
  readonly lapses = 0;
  constructor(
    readonly message: Envelope,
    readonly attempt: number,
    private readonly works: boolean,
  ) {}
  private settle(as: Settle): Promise<boolean> {
    this.settles.push(as);
    if (this.works) this.settled = as;
    return Promise.resolve(this.works);
  }
  ack(): Promise<boolean> {
    return this.settle('ack');
  }
  retry(): Promise<boolean> {
    return this.settle('retry');
  }
  deadLetter(): Promise<boolean> {
    return this.settle('dead-letter');
  }
  extendLease(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

const record = (id: string): SQSRecord => ({
  messageId: id,
  receiptHandle: `handle-${id}`,
  body: '{}',
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'x',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:store',
  awsRegion: 'us-east-1',
});

const contextFor = (remainingMs: number): Context => {
  const deadline = Date.now() + remainingMs;
  return {
    functionName: 'exodus-worker',
    awsRequestId: 'req-1',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  } as unknown as Context;
};

const envelope = (id: string, behaviour: Behaviour): Envelope => ({
  specversion: '1.0',
  id,
  source: '/test',
  type: 'exodus.wish.parsed',
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  traceparent: '',
  data: { behaviour },
});

/** What admission made of each record (by message id): a delivery, parked, or failed to park. */
let admission: Map<string, FakeDelivery | 'parked' | 'failed'>;
let admitted: { queue: string; ids: string[]; deadline: number }[];
let handled: string[];

const messaging = {
  admitRecords: async (queue: string, records: readonly SQSRecord[], deadline: number) => {
    admitted.push({ queue, ids: records.map((r) => r.messageId), deadline });
    return records.map((r) => admission.get(r.messageId));
  },
} as unknown as SqsMessaging;

const handler = async (message: Envelope): Promise<void> => {
  handled.push(message.id);
  const behaviour = (message.data as { behaviour: Behaviour }).behaviour;
  if (behaviour === 'permanent') throw new PermanentError('not-a-wish', 'cannot ever succeed');
  if (behaviour === 'transient') throw new TransientError('store-unavailable', 'the store is away');
  if (behaviour === 'transient-once' && handled.filter((id) => id === message.id).length === 1)
    throw new TransientError('store-unavailable', 'the store is away');
  if (behaviour === 'fails') throw new Error('a bug');
};

/** The CloudWatch metrics (EMF) the invocation printed. */
const emfOf = (printed: unknown[][]): Record<string, unknown>[] =>
  printed
    .map(([line]) => String(line))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('a Lambda consumer on an SQS event', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    Object.assign(process.env, {
      EXODUS_LOG_LEVEL: 'silent',
      EXODUS_RETRY_BASE_MS: '10',
      EXODUS_RETRY_MAX_MS: '50',
      EXODUS_MAX_ATTEMPTS: '3',
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
  });
  afterAll(() => {
    process.env = saved;
  });
  beforeEach(() => {
    admission = new Map();
    admitted = [];
    handled = [];
    engines.open.mockReset().mockResolvedValue({ messaging, storage: {} });
    engines.consumer.mockReset().mockResolvedValue({ queue: 'store', handler });
  });

  const deliver = (
    id: string,
    behaviour: Behaviour,
    options: { attempt?: number; settles?: boolean } = {},
  ): FakeDelivery => {
    const delivery = new FakeDelivery(envelope(id, behaviour), options.attempt ?? 1, options.settles ?? true);
    admission.set(id, delivery);
    return delivery;
  };

  const invoke = async (ids: string[], remainingMs = 10_000, lambda = sqsConsumer('worker')) => {
    const printed = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const event: SQSEvent = { Records: ids.map(record) };
      const response = await lambda(event, contextFor(remainingMs));
      return {
        response,
        failed: response.batchItemFailures.map((f) => f.itemIdentifier).sort(),
        metrics: emfOf(printed.mock.calls),
      };
    } finally {
      printed.mockRestore();
    }
  };

  it('a record whose dead-lettering failed at admission is reported failed, not deleted; parked and handled ones are deleted', async () => {
    admission.set('parked', 'parked');
    admission.set('unparked', 'failed');
    const good = deliver('good', 'ok');
    const { failed, metrics } = await invoke(['parked', 'unparked', 'good']);
    expect(failed).toEqual(['unparked']);
    expect(good.settled).toBe('ack');
    // Nothing was handled but the admitted delivery: a record that could not be parked is not processed either.
    expect(handled).toEqual(['good']);
    expect(metrics).toEqual([
      expect.objectContaining({
        service: 'exodus-worker',
        MessagesHandled: 1,
        MessagesRetried: 0,
        MessagesDeadLettered: 1,
        MessagesReportedFailed: 1,
      }),
    ]);
  });

  it('a message whose settle did not go through is reported failed, whichever settle it was', async () => {
    const acked = deliver('ack-refused', 'ok', { settles: false });
    const dead = deliver('dead-letter-refused', 'permanent', { settles: false });
    const retried = deliver('retry-refused', 'fails', { settles: false });
    deliver('fine', 'ok');
    const { failed, metrics } = await invoke(['ack-refused', 'dead-letter-refused', 'retry-refused', 'fine']);
    expect(failed).toEqual(['ack-refused', 'dead-letter-refused', 'retry-refused']);
    expect([acked.settles, dead.settles, retried.settles]).toEqual([['ack'], ['dead-letter'], ['retry']]);
    expect(metrics).toEqual([
      expect.objectContaining({
        MessagesHandled: 1,
        MessagesRetried: 0,
        MessagesDeadLettered: 0,
        MessagesReportedFailed: 3,
      }),
    ]);
  });

  it('settled messages are deleted whatever the outcome: handled, dead-lettered (PermanentError, or out of attempts), retried as a copy', async () => {
    const ok = deliver('ok', 'ok');
    const poison = deliver('poison', 'permanent');
    const last = deliver('last-attempt', 'fails', { attempt: 3 });
    const failing = deliver('failing', 'fails', { attempt: 1 });
    const { failed, metrics } = await invoke(['ok', 'poison', 'last-attempt', 'failing']);
    expect(failed).toEqual([]);
    expect([ok.settled, poison.settled, last.settled, failing.settled]).toEqual([
      'ack',
      'dead-letter',
      'dead-letter',
      'retry',
    ]);
    expect(metrics).toEqual([
      expect.objectContaining({
        MessagesHandled: 1,
        MessagesRetried: 1,
        MessagesDeadLettered: 2,
        MessagesReportedFailed: 0,
      }),
    ]);
  });

  it('a store outage is held through while the invocation has time: the message is handled, not retried', async () => {
    const held = deliver('held', 'transient-once');
    const { failed } = await invoke(['held'], 10_000);
    expect(failed).toEqual([]);
    expect(held.settles).toEqual(['ack']);
    expect(handled).toEqual(['held', 'held']);
  });

  it('with no time left to hold it, an outage retries the message as a copy at once', async () => {
    // 3 s of the invocation are kept back for settles and the flush: 3.02 s left is no time to hold.
    const outage = deliver('outage', 'transient-once');
    const started = Date.now();
    await invoke(['outage'], 3_020);
    expect(outage.settles).toEqual(['retry']);
    expect(handled).toEqual(['outage']);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('an outage that outlasts the invocation is held until its margin, then retried: the invocation ends in time', async () => {
    const outage = deliver('long-outage', 'transient');
    const started = Date.now();
    await invoke(['long-outage'], 4_000);
    expect(outage.settles).toEqual(['retry']);
    expect(handled.length).toBeGreaterThan(3);
    // Backing off between tries (10 ms doubling to 50 ms), not spinning: a few dozen tries in that second.
    expect(handled.length).toBeLessThan(100);
    // It held the message for about the second it had (4 s less the 3 s margin), not longer.
    expect(Date.now() - started).toBeGreaterThan(800);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('admits the records of its own queue with the invocation deadline less the margin', async () => {
    deliver('a', 'ok');
    deliver('b', 'ok');
    const before = Date.now();
    await invoke(['a', 'b'], 10_000);
    expect(admitted).toHaveLength(1);
    expect(admitted[0]?.queue).toBe('store');
    expect(admitted[0]?.ids).toEqual(['a', 'b']);
    expect(admitted[0]?.deadline).toBeGreaterThanOrEqual(before + 7_000 - 50);
    expect(admitted[0]?.deadline).toBeLessThanOrEqual(Date.now() + 7_000);
  });

  it('opens the engines once, at the first invocation, and keeps them warm', async () => {
    const lambda = sqsConsumer('worker');
    deliver('one', 'ok');
    await invoke(['one'], 10_000, lambda);
    deliver('two', 'ok');
    await invoke(['two'], 10_000, lambda);
    expect(engines.open).toHaveBeenCalledTimes(1);
    expect(engines.consumer).toHaveBeenCalledTimes(1);
    expect(engines.consumer.mock.calls[0]?.[0]).toBe('worker');
  });

  it('a failed start fails the invocation (SQS delivers the batch again) and is tried again at the next one', async () => {
    const lambda = sqsConsumer('worker');
    engines.open.mockRejectedValueOnce(new Error('SQS unreachable'));
    deliver('one', 'ok');
    await expect(invoke(['one'], 10_000, lambda)).rejects.toThrow('SQS unreachable');
    const { failed } = await invoke(['one'], 10_000, lambda);
    expect(failed).toEqual([]);
    expect(engines.open).toHaveBeenCalledTimes(2);
  });

  it('an admission that throws fails the whole invocation: SQS delivers the whole batch again', async () => {
    const lambda = sqsConsumer('worker');
    deliver('warm', 'ok');
    await invoke(['warm'], 10_000, lambda);
    const broken = vi.spyOn(messaging, 'admitRecords').mockRejectedValueOnce(new Error('DLQ unreachable'));
    const printed = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await expect(lambda({ Records: [record('x')] }, contextFor(10_000))).rejects.toThrow('DLQ unreachable');
    } finally {
      printed.mockRestore();
      broken.mockRestore();
    }
  });

  it('a batch whose every record fails is answered with all of them in batchItemFailures (a partial response, not an error)', async () => {
    admission.set('a', 'failed');
    admission.set('b', 'failed');
    const { failed, metrics } = await invoke(['a', 'b']);
    expect(failed).toEqual(['a', 'b']);
    expect(metrics).toEqual([expect.objectContaining({ MessagesReportedFailed: 2 })]);
  });

  it('its CloudWatch metrics are in the Exodus namespace, by service', async () => {
    deliver('ok', 'ok');
    const { metrics } = await invoke(['ok']);
    expect(metrics[0]?.['_aws']).toMatchObject({
      CloudWatchMetrics: [{ Namespace: 'Exodus', Dimensions: [['service']] }],
    });
    expect(metrics[0]?.['service']).toBe('exodus-worker');
  });

  it('starts from the environment: data under /tmp/exodus unless EXODUS_DATA says, traces limited as EXODUS_TRACES_PER_SECOND says', async () => {
    const before = { data: process.env['EXODUS_DATA'], traces: process.env['EXODUS_TRACES_PER_SECOND'] };
    try {
      delete process.env['EXODUS_DATA'];
      process.env['EXODUS_TRACES_PER_SECOND'] = '7';
      telemetry.started.length = 0;
      deliver('ok', 'ok');
      await invoke(['ok']);
      expect((engines.open.mock.calls[0]?.[2] as { dataDir: string }).dataDir).toBe('/tmp/exodus');
      expect(telemetry.started).toEqual([['exodus-worker', { tracesPerSecond: 7 }]]);
      process.env['EXODUS_DATA'] = '/tmp/elsewhere';
      await invoke(['ok']);
      expect((engines.open.mock.calls[1]?.[2] as { dataDir: string }).dataDir).toBe('/tmp/elsewhere');
    } finally {
      if (before.data === undefined) delete process.env['EXODUS_DATA'];
      else process.env['EXODUS_DATA'] = before.data;
      if (before.traces === undefined) delete process.env['EXODUS_TRACES_PER_SECOND'];
      else process.env['EXODUS_TRACES_PER_SECOND'] = before.traces;
    }
  });
});
