import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageRefusedError, PermanentError, TransientError } from '../../../src/domain/index.js';
import { toBody } from '../../../src/engines/sqs/messages.js';
import { SqsQueue } from '../../../src/engines/sqs/queue.js';
import { SnsTopic } from '../../../src/engines/sqs/topic.js';
import { envelope } from '../../contract/fixtures.js';

// What the emulator cannot show: throttling, partial batch failures and AWS's exact error codes.
const sqsMock = mockClient(SQSClient);
const snsMock = mockClient(SNSClient);
afterEach(() => {
  sqsMock.reset();
  snsMock.reset();
});

const urls = {
  url: 'https://sqs.us-east-1.amazonaws.com/123456789012/exodus-intake',
  deadUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/exodus-intake-dlq',
};
const queue = (): SqsQueue =>
  new SqsQueue('intake', new SQSClient({ region: 'us-east-1' }), urls, { maxAttempts: 3, maxLeaseLapses: 4 });
/** The envelope id in a sent body. */
const idIn = (body: string | undefined): string => (JSON.parse(body ?? '{}') as { id?: string }).id ?? '';
const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' as const });

describe('SQS engine against AWS failure modes', () => {
  it('retries the entries SendMessageBatch reports failed, and only those, until all are stored', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: '0', MessageId: 'm0', MD5OfMessageBody: '' }],
        Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
      })
      .resolves({ Successful: [{ Id: '1', MessageId: 'm1', MD5OfMessageBody: '' }], Failed: [] });
    await queue().send([envelope('a'), envelope('b')]);
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(
      calls.map((call) =>
        (call.args[0].input.Entries ?? []).map((entry: SendMessageBatchRequestEntry) => idIn(entry.MessageBody)),
      ),
    ).toEqual([['a', 'b'], ['b']]);
  });

  it('sends in batches of at most ten', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await queue().send(Array.from({ length: 23 }, (_, i) => envelope(`m${i}`)));
    expect(sqsMock.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries?.length)).toEqual([
      10, 10, 3,
    ]);
  });

  it('the sends of one turn share a batch call; a message SQS refuses fails only its own sender, and no message is sent twice', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries?: SendMessageBatchRequestEntry[] }) => {
      const entries = input.Entries ?? [];
      const refused = entries.filter((entry) => idIn(entry.MessageBody) === 'b');
      return {
        Successful: [],
        Failed: refused.map((entry) => ({ Id: entry.Id, Code: 'InvalidMessageContents', SenderFault: true })),
      };
    });
    const intake = queue();
    const outcomes = await Promise.allSettled([
      intake.send([envelope('a')]),
      intake.send([envelope('b')]),
      intake.send([envelope('c')]),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const calls = sqsMock
      .commandCalls(SendMessageBatchCommand)
      .map((call) => (call.args[0].input.Entries ?? []).map((entry) => idIn(entry.MessageBody)));
    // One call for the turn: the refusal is b's alone, and a and c, stored, are not sent again (no duplicates).
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(outcomes[1]).toMatchObject({ reason: { name: 'MessageRefusedError' } });
  });

  it('a failed entry that keeps failing fails the send (never a silent drop); one refused for what it is fails it as permanent', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [], Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] });
    await expect(queue().send([envelope('a')])).rejects.toBeInstanceOf(TransientError);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(5);
    sqsMock.reset();
    sqsMock
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [], Failed: [{ Id: '0', Code: 'InvalidMessageContents', SenderFault: true }] });
    await expect(queue().send([envelope('a')])).rejects.toMatchObject({
      name: 'MessageRefusedError',
      code: 'message_refused',
    });
  });

  it('a refusal for the message (its characters, its size) is a MessageRefusedError; one for anything else is not', async () => {
    const refusedWith = async (failed: { Code: string; SenderFault: boolean }): Promise<unknown> => {
      sqsMock.reset();
      sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [{ Id: '0', ...failed }] });
      return queue()
        .send([envelope('a')])
        .catch((error: unknown) => error);
    };
    // SQS's answers for bad characters and for a body over the queue's MaximumMessageSize.
    for (const code of ['InvalidMessageContents', 'InvalidParameterValue', 'MessageTooLong']) {
      expect(await refusedWith({ Code: code, SenderFault: true }), code).toBeInstanceOf(MessageRefusedError);
    }
    // An encrypted queue whose key the engine may not use: the deployment's fault, every message alike.
    const kms = await refusedWith({ Code: 'KmsAccessDenied', SenderFault: true });
    expect(kms).toBeInstanceOf(PermanentError);
    expect(kms).not.toBeInstanceOf(MessageRefusedError);
    // A whole send refused for its size speaks of the message; a refused parameter on a receive does not.
    sqsMock.reset();
    sqsMock.on(SendMessageBatchCommand).rejects(
      Object.assign(new Error('Batch requests cannot be longer than 262144 bytes'), {
        name: 'BatchRequestTooLong',
        $fault: 'client' as const,
      }),
    );
    await expect(queue().send([envelope('a')])).rejects.toBeInstanceOf(MessageRefusedError);
    sqsMock.on(ReceiveMessageCommand).rejects(
      Object.assign(new Error('Value 0 for parameter MaxNumberOfMessages is invalid'), {
        name: 'InvalidParameterValue',
        $fault: 'client' as const,
      }),
    );
    const receive = await queue()
      .receive(10, 5000)
      .catch((error: unknown) => error);
    expect(receive).toMatchObject({ code: 'sqs_refused' });
    expect(receive).not.toBeInstanceOf(MessageRefusedError);
  });

  it('entries that keep failing are reported by their own failure, not by an entry refused beside them', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries?: SendMessageBatchRequestEntry[] }) => ({
      Successful: [],
      Failed: (input.Entries ?? []).map((entry) =>
        idIn(entry.MessageBody) === 'b'
          ? { Id: entry.Id, Code: 'InvalidMessageContents', SenderFault: true }
          : { Id: entry.Id, Code: 'InternalError', SenderFault: false },
      ),
    }));
    // One caller's two messages: after the rounds, the one still failing says why the send failed.
    await expect(queue().send([envelope('a'), envelope('b')])).rejects.toMatchObject({ code: 'sqs_unavailable' });
  });

  it('writes every character SQS or its emulator may refuse as a JSON escape: the same JSON, and only those characters', () => {
    const text = 'Ελένη 😀 \uFFFE\uFFFF\u2028 e\u0301 \u2067x\u2069 \u{10FFFF}';
    const message = envelope('esc', { message: text });
    const body = toBody(message);
    expect(JSON.parse(body)).toEqual(message);
    expect(body).toContain('Ελένη');
    expect(body).toContain('\\ud83d\\ude00 \\ufffe\\uffff\u2028 e\u0301 \u2067x\u2069 \\udbff\\udfff');
    // What AWS and fauxqs 1.9.2 both take: XML's characters without U+FFFE/U+FFFF and the astral ones.
    expect(body).toMatch(/^[\t\n\r\u0020-\ud7ff\ue000-\ufffd]*$/);
    // The most a wish can cost: 2,000 + 120 astral characters (the door's limits) at 12 bytes each,
    // about a tenth of the 256 KiB an SQS message or an SNS publish may carry.
    const longest = toBody(envelope('longest', { message: '😀'.repeat(2000), to: '😀'.repeat(120) }));
    expect(Buffer.byteLength(longest)).toBeLessThan((256 * 1024) / 10);
  });

  it('throttling that outlasts the SDK retries is a TransientError the consumers wait out', async () => {
    sqsMock.on(ReceiveMessageCommand).rejects(throttled);
    await expect(queue().receive(10, 5000)).rejects.toMatchObject({ name: 'TransientError', code: 'sqs_throttled' });
    sqsMock.on(GetQueueAttributesCommand).rejects(
      Object.assign(new Error('We encountered an internal error'), {
        name: 'InternalError',
        $fault: 'server' as const,
      }),
    );
    await expect(queue().stats()).rejects.toMatchObject({ code: 'sqs_unavailable' });
    sqsMock
      .on(SendMessageBatchCommand)
      .rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9324'), { code: 'ECONNREFUSED' }));
    await expect(queue().send([envelope('a')])).rejects.toBeInstanceOf(TransientError);
    sqsMock.on(SendMessageBatchCommand).rejects(
      Object.assign(new Error('Batch requests cannot be longer than 262144 bytes'), {
        name: 'BatchRequestTooLong',
        $fault: 'client' as const,
      }),
    );
    await expect(queue().send([envelope('a')])).rejects.toBeInstanceOf(PermanentError);
  });

  it('an ack whose receipt handle SQS refuses resolves false; the acks of one turn go in one DeleteMessageBatch', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({
      Messages: ['a', 'b'].map((id) => ({
        MessageId: id,
        ReceiptHandle: `rh-${id}`,
        Body: JSON.stringify(envelope(id)),
        Attributes: { ApproximateReceiveCount: '1' },
      })),
    });
    sqsMock.on(DeleteMessageBatchCommand).resolves({
      Successful: [{ Id: '0' }],
      Failed: [{ Id: '1', Code: 'ReceiptHandleIsInvalid', SenderFault: true }],
    });
    const [a, b] = await queue().receive(10, 30_000);
    expect(await Promise.all([a?.ack(), b?.ack()])).toEqual([true, false]);
    expect(
      sqsMock
        .commandCalls(DeleteMessageBatchCommand)
        .map((call) => call.args[0].input.Entries?.map((entry) => entry.ReceiptHandle)),
    ).toEqual([['rh-a', 'rh-b']]);
  });

  it('attempts and lapses come from the attributes and the receive count; extending a lease changes the visibility in whole seconds', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({
      Messages: [
        {
          MessageId: 'x',
          ReceiptHandle: 'rh-x',
          Body: JSON.stringify(envelope('x')),
          Attributes: { ApproximateReceiveCount: '3' },
          MessageAttributes: {
            'exodus-attempt': { DataType: 'Number', StringValue: '2' },
            'exodus-lapses': { DataType: 'Number', StringValue: '1' },
          },
        },
      ],
    });
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });
    const [delivery] = await queue().receive(1, 30_000);
    expect({ attempt: delivery?.attempt, lapses: delivery?.lapses }).toEqual({ attempt: 2, lapses: 3 });
    expect(await delivery?.extendLease(1500)).toBe(true);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'rh-x', VisibilityTimeout: 2 },
    ]);
  });
});

describe('SNS topic against AWS failure modes', () => {
  it('retries the entries PublishBatch reports failed, and only those', async () => {
    snsMock
      .on(PublishBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: '1', MessageId: 'm1' }],
        Failed: [{ Id: '0', Code: 'Throttling', SenderFault: false }],
      })
      .resolves({ Successful: [{ Id: '0', MessageId: 'm0' }], Failed: [] });
    await new SnsTopic(
      'wish.parsed',
      new SNSClient({ region: 'us-east-1' }),
      'arn:aws:sns:us-east-1:123456789012:exodus-wish-parsed',
    ).publish([envelope('a'), envelope('b')]);
    const calls = snsMock.commandCalls(PublishBatchCommand);
    expect(
      calls.map((call) => call.args[0].input.PublishBatchRequestEntries?.map((entry) => idIn(entry.Message))),
    ).toEqual([['a', 'b'], ['a']]);
  });

  it('the publishes of one turn share a PublishBatch call', async () => {
    snsMock.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    const topic = new SnsTopic(
      'wish.parsed',
      new SNSClient({ region: 'us-east-1' }),
      'arn:aws:sns:us-east-1:123456789012:exodus-wish-parsed',
    );
    await Promise.all(['a', 'b', 'c'].map((id) => topic.publish([envelope(id)])));
    expect(
      snsMock
        .commandCalls(PublishBatchCommand)
        .map((call) => call.args[0].input.PublishBatchRequestEntries?.map((entry) => idIn(entry.Message))),
    ).toEqual([['a', 'b', 'c']]);
  });

  it('a topic that is gone is a plain error naming the action; throttling is transient', async () => {
    snsMock
      .on(PublishBatchCommand)
      .rejects(
        Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException', $fault: 'client' as const }),
      );
    const topic = new SnsTopic(
      'wish.parsed',
      new SNSClient({ region: 'us-east-1' }),
      'arn:aws:sns:us-east-1:123456789012:exodus-wish-parsed',
    );
    const error: unknown = await topic.publish([envelope('a')]).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(TransientError);
    expect(String(error)).toMatch(/publish to wish\.parsed failed: Topic does not exist/);
    snsMock.on(PublishBatchCommand).rejects(throttled);
    await expect(topic.publish([envelope('a')])).rejects.toMatchObject({ code: 'sqs_throttled' });
  });

  it('a message SNS refuses for what it holds fails its publisher as a MessageRefusedError, and no one else', async () => {
    snsMock
      .on(PublishBatchCommand)
      .callsFake((input: { PublishBatchRequestEntries?: { Id: string; Message: string }[] }) => ({
        Successful: [],
        Failed: (input.PublishBatchRequestEntries ?? [])
          .filter((entry) => idIn(entry.Message) === 'b')
          .map((entry) => ({ Id: entry.Id, Code: 'InvalidParameter', Message: 'Message too long', SenderFault: true })),
      }));
    const topic = new SnsTopic(
      'wish.parsed',
      new SNSClient({ region: 'us-east-1' }),
      'arn:aws:sns:us-east-1:123456789012:exodus-wish-parsed',
    );
    const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((id) => topic.publish([envelope(id)])));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(outcomes[1]).toMatchObject({
      reason: {
        name: 'MessageRefusedError',
        message: expect.stringMatching(
          /publish to wish\.parsed failed for one entry: InvalidParameter \(Message too long\)/,
        ) as unknown,
      },
    });
  });
});
